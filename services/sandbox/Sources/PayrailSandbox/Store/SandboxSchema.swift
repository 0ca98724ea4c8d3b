import PayrailStore

/// The sandbox's own schema, applied to its own SQLite file (never the shared Payrail database).
///
/// Times are Unix milliseconds. Shipped migrations never change; append new ones.
public enum SandboxSchema {
    /// Every sandbox migration in order.
    public static let all: [Migration] = [v1, v2]

    /// Orders, refunds, settlements, first outcomes per developer number, callbacks and their attempts.
    static let v1 = Migration(
        "sandbox_0001",
        """
        CREATE TABLE sandbox_order (
            order_id TEXT PRIMARY KEY,
            app_id TEXT NOT NULL,
            out_order_no TEXT NOT NULL,
            order_token TEXT NOT NULL,
            total_amount INTEGER NOT NULL,
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            cp_extra TEXT NOT NULL,
            notify_url TEXT NOT NULL,
            valid_time INTEGER NOT NULL,
            status TEXT NOT NULL,
            way INTEGER NOT NULL DEFAULT 0,
            channel_no TEXT NOT NULL DEFAULT '',
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            auto_pay_at INTEGER,
            paid_at INTEGER,
            UNIQUE (app_id, out_order_no)
        );
        CREATE INDEX sandbox_order_due ON sandbox_order (status, expires_at);
        CREATE TABLE sandbox_refund (
            refund_no TEXT PRIMARY KEY,
            app_id TEXT NOT NULL,
            out_refund_no TEXT NOT NULL,
            order_id TEXT NOT NULL REFERENCES sandbox_order (order_id),
            refund_amount INTEGER NOT NULL,
            reason TEXT NOT NULL,
            cp_extra TEXT NOT NULL,
            notify_url TEXT NOT NULL,
            all_settle INTEGER NOT NULL,
            is_all_settled INTEGER NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            due_at INTEGER NOT NULL,
            finished_at INTEGER,
            UNIQUE (app_id, out_refund_no)
        );
        CREATE TABLE sandbox_settle (
            settle_no TEXT PRIMARY KEY,
            app_id TEXT NOT NULL,
            out_settle_no TEXT NOT NULL,
            order_id TEXT NOT NULL REFERENCES sandbox_order (order_id),
            settle_desc TEXT NOT NULL,
            settle_params TEXT NOT NULL,
            receivers_amount INTEGER NOT NULL,
            settle_amount INTEGER NOT NULL,
            rake INTEGER NOT NULL,
            commission INTEGER NOT NULL,
            is_final INTEGER NOT NULL,
            cp_extra TEXT NOT NULL,
            notify_url TEXT NOT NULL,
            status TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            due_at INTEGER NOT NULL,
            finished_at INTEGER,
            UNIQUE (app_id, out_settle_no)
        );
        CREATE TABLE sandbox_outcome (
            app_id TEXT NOT NULL,
            endpoint TEXT NOT NULL,
            number TEXT NOT NULL,
            response TEXT NOT NULL,
            PRIMARY KEY (app_id, endpoint, number)
        );
        CREATE TABLE sandbox_callback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            app_id TEXT NOT NULL,
            type TEXT NOT NULL,
            number TEXT NOT NULL,
            order_id TEXT NOT NULL,
            url TEXT NOT NULL,
            body TEXT NOT NULL,
            status TEXT NOT NULL,
            faults TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_at INTEGER NOT NULL,
            hold_until INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX sandbox_callback_due ON sandbox_callback (status, next_at);
        CREATE TABLE sandbox_callback_attempt (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            callback_id INTEGER NOT NULL REFERENCES sandbox_callback (id),
            attempt INTEGER NOT NULL,
            sent_at INTEGER NOT NULL,
            http_status INTEGER,
            response TEXT NOT NULL,
            error TEXT NOT NULL,
            acknowledged INTEGER NOT NULL
        );
        """
    )

    /// Auto-payment lookups by index: the scheduler asks for due and next auto-payments on every tick, and without
    /// it each ask scanned every order still awaiting payment.
    static let v2 = Migration(
        "sandbox_0002_auto_pay_index",
        """
        CREATE INDEX sandbox_order_auto_pay ON sandbox_order (status, auto_pay_at);
        """
    )
}
