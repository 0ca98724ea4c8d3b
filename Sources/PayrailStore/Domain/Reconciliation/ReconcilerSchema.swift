/// The reconciler's tables (issue 9, services/reconciler). Shipped DDL; never edit, append a new migration.
///
/// - `reconciliation_run`: one row per finished run of one channel account and CST bill date; re-running a date
///   marks the previous run `superseded`, so at most one run per (account, date) is `current`.
/// - `reconciliation_difference`: one row per (account, date, bill type, class, number), opened when first found,
///   `resolved` when a later run no longer finds it; `reconciliation_observation` keeps which run found or
///   resolved it (its history).
enum ReconcilerSchema {
    /// Creates runs, differences and their observations.
    static let v1 = Migration(
        "0007_reconciler",
        """
        CREATE TABLE reconciliation_run (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchant(id),
            channel_account_id TEXT NOT NULL REFERENCES channel_account(id),
            bill_date TEXT NOT NULL CHECK (length(bill_date) = 8),
            status TEXT NOT NULL CHECK (status IN ('current', 'superseded')),
            superseded_by TEXT,
            trigger TEXT NOT NULL,
            lines INTEGER NOT NULL CHECK (lines >= 0),
            matched INTEGER NOT NULL CHECK (matched >= 0),
            differences INTEGER NOT NULL CHECK (differences >= 0),
            resolved INTEGER NOT NULL CHECK (resolved >= 0),
            counts TEXT NOT NULL,
            totals TEXT NOT NULL,
            bills TEXT NOT NULL,
            report_csv TEXT,
            report_json TEXT,
            started_at INTEGER NOT NULL,
            finished_at INTEGER NOT NULL,
            duration_ms INTEGER NOT NULL CHECK (duration_ms >= 0)
        );
        CREATE INDEX reconciliation_run_merchant ON reconciliation_run(merchant_id, id);
        CREATE UNIQUE INDEX reconciliation_run_current ON reconciliation_run(channel_account_id, bill_date)
            WHERE status = 'current';

        CREATE TABLE reconciliation_difference (
            id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchant(id),
            channel_account_id TEXT NOT NULL REFERENCES channel_account(id),
            bill_date TEXT NOT NULL CHECK (length(bill_date) = 8),
            bill_type TEXT NOT NULL CHECK (bill_type IN ('payment', 'refund', 'settle')),
            class TEXT NOT NULL CHECK (class IN ('missing_in_payrail', 'missing_at_provider', 'amount_mismatch',
                'status_mismatch', 'fee_mismatch', 'duplicate_line')),
            number TEXT NOT NULL,
            provider_number TEXT,
            object_id TEXT,
            bill_amount INTEGER,
            payrail_amount INTEGER,
            bill_status TEXT,
            payrail_status TEXT,
            bill_fee INTEGER,
            payrail_fee INTEGER,
            bill_time INTEGER,
            payrail_time INTEGER,
            detail TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('open', 'resolved')),
            first_run_id TEXT NOT NULL REFERENCES reconciliation_run(id),
            last_run_id TEXT NOT NULL REFERENCES reconciliation_run(id),
            heal_requested_at INTEGER,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            resolved_at INTEGER,
            UNIQUE (channel_account_id, bill_date, bill_type, class, number)
        );
        CREATE INDEX reconciliation_difference_open
            ON reconciliation_difference(channel_account_id, state, bill_date);

        CREATE TABLE reconciliation_observation (
            run_id TEXT NOT NULL REFERENCES reconciliation_run(id),
            difference_id TEXT NOT NULL REFERENCES reconciliation_difference(id),
            outcome TEXT NOT NULL CHECK (outcome IN ('found', 'resolved')),
            observed_at INTEGER NOT NULL,
            PRIMARY KEY (run_id, difference_id)
        );
        CREATE INDEX reconciliation_observation_difference ON reconciliation_observation(difference_id);
        """
    )
}
