import GRDB

/// A list's page query, built one condition at a time together with its arguments so the two cannot drift apart.
struct PageQuery {
    private(set) var sql: String
    private(set) var arguments: [(any DatabaseValueConvertible)?]

    /// Starts from a `SELECT … WHERE <first condition>` and that condition's arguments.
    init(_ sql: String, _ arguments: (any DatabaseValueConvertible)?...) {
        self.sql = sql
        self.arguments = arguments
    }

    /// Adds `AND condition` with its arguments.
    mutating func and(_ condition: String, _ values: (any DatabaseValueConvertible)?...) {
        sql += " AND " + condition
        arguments += values
    }

    /// The query with its order and a row limit appended.
    func ordered(by order: String, limit: Int) -> (sql: String, arguments: StatementArguments) {
        (sql + " ORDER BY \(order) LIMIT ?", StatementArguments(arguments + [limit]))
    }
}
