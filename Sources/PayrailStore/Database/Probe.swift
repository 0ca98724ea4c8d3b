import GRDB

extension Database {
    /// The first column of the first row a query finds, as an integer (nil when it finds none), read without a
    /// `Row`. GRDB's row cursors index every column name of the statement (lowercased, in a dictionary) when they
    /// are created, whether or not a row comes back; on the group-commit writer that was a measurable part of
    /// every create, for lookups that almost never find anything (a new `out_order_no`, a new `Idempotency-Key`,
    /// a merchant without webhook endpoints). Probe with this, then fetch the row when there is one.
    func probe(_ sql: String, _ arguments: StatementArguments) throws -> Int64? {
        try Int64.fetchOne(cachedStatement(sql: sql), arguments: arguments)
    }
}
