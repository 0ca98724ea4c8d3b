import GRDB
import GRDBSQLite

/// A value bound to a hot statement's parameter (`Database.executeHot`, `Database.probe`).
enum HotValue {
    case text(String)
    case integer(Int64)
    case null

    /// Text, or NULL when nil.
    static func textOrNull(_ text: String?) -> HotValue { text.map { .text($0) } ?? .null }
}

/// SQLite copies bound text before `sqlite3_bind_text` returns (`SQLITE_TRANSIENT`).
private let copyBoundText = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

extension Database {
    /// Runs a cached statement that returns no rows (an INSERT on the group-commit writer's hot path) through
    /// SQLite's C API: binds `values` in order, steps once and resets the statement, leaving it clean for GRDB.
    ///
    /// GRDB's `Statement.execute(arguments:)` wraps every execution in argument validation, `DatabaseValue`
    /// conversion and transaction-observer bookkeeping: on the single writer that was ~13 % of its time per
    /// created order (A/B of the release gateway, writer thread CPU per create). Payrail registers no observer
    /// that tracks statements (only `afterNextTransaction`, which SQLite's commit hook drives), so nothing here
    /// needs that bookkeeping. Failures throw `DatabaseError` with SQLite's extended code and message, as GRDB's
    /// do: a unique violation is still `.SQLITE_CONSTRAINT_UNIQUE`.
    func executeHot(_ sql: String, _ values: [HotValue]) throws {
        let handle = try boundHotStatement(sql, values)
        let result = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        if result != SQLITE_DONE { throw Self.lastError(of: handle, sql: sql) }
    }

    /// The first column of the first row a cached query finds, as an integer (nil when it finds none), through
    /// SQLite's C API like `executeHot`: for the group-commit writer's lookups that almost never find anything (a
    /// new `out_order_no`, a new `Idempotency-Key`, a merchant without webhook endpoints). GRDB's
    /// `Int64.fetchOne` builds a cursor with its argument checks for each; that was ~4 % of the writer's time per
    /// created order. Probe with this, then fetch the row through GRDB when there is one.
    func probe(_ sql: String, _ values: [HotValue]) throws -> Int64? {
        let handle = try boundHotStatement(sql, values)
        defer { sqlite3_reset(handle) }
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return sqlite3_column_int64(handle, 0)
        case SQLITE_DONE: return nil
        default: throw Self.lastError(of: handle, sql: sql)
        }
    }

    /// The cached statement of `sql`, reset, with `values` bound in order.
    private func boundHotStatement(_ sql: String, _ values: [HotValue]) throws -> OpaquePointer {
        let handle = try cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)  // GRDB resets a statement lazily, before its next use; its old bindings are all replaced
        guard Int(sqlite3_bind_parameter_count(handle)) == values.count else {
            throw DatabaseError(
                resultCode: .SQLITE_MISUSE,
                message: "\(values.count) values for \(sqlite3_bind_parameter_count(handle)) parameters", sql: sql)
        }
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .text(let text):
                // As GRDB binds text: a C string, so a NUL ends it (lookups bound by GRDB must find what this stored).
                code = text.withCString { sqlite3_bind_text(handle, index, $0, -1, copyBoundText) }
            case .integer(let number):
                code = sqlite3_bind_int64(handle, index, number)
            case .null:
                code = sqlite3_bind_null(handle, index)
            }
            if code != SQLITE_OK { throw Self.lastError(of: handle, sql: sql) }
        }
        return handle
    }

    private static func lastError(of handle: OpaquePointer, sql: String) -> DatabaseError {
        let connection = sqlite3_db_handle(handle)
        return DatabaseError(
            resultCode: ResultCode(rawValue: sqlite3_extended_errcode(connection)),
            message: String(cString: sqlite3_errmsg(connection)), sql: sql)
    }
}
