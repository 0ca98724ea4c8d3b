/// Tables the worker owns. Shipped DDL; never edit, append a new migration.
enum WorkerSchema {
    /// payrail-worker (issue 8): the provider rate limiter shared by every worker replica — one row per
    /// (app, operation) holding the current one-second window and how many calls it has used.
    static let v1 = Migration(
        "0006_worker",
        """
        CREATE TABLE provider_rate_window (
            app_id TEXT NOT NULL,
            operation TEXT NOT NULL,
            window_start INTEGER NOT NULL,
            used INTEGER NOT NULL CHECK (used >= 0),
            PRIMARY KEY (app_id, operation)
        ) WITHOUT ROWID;
        """
    )
}
