/// What the merchant API keeps beside the domain rows it does not own (issue 6). Shipped DDL; never edit.
///
/// - `gateway_object_extra`: per order or settlement, the merchant's own annotations that no provider sees and no
///   state machine reads: `return_url`, `metadata` (a bounded JSON object), settlement hints (JSON) and a
///   settlement's description. Written by the gateway right after the object it annotates.
enum GatewaySchema {
    /// Creates the annotations table.
    static let v1 = Migration(
        "0005_gateway",
        """
        CREATE TABLE gateway_object_extra (
            object_id TEXT PRIMARY KEY,
            merchant_id TEXT NOT NULL REFERENCES merchant(id),
            return_url TEXT,
            metadata TEXT NOT NULL DEFAULT '{}',
            settlement_hints TEXT,
            description TEXT,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX gateway_object_extra_merchant ON gateway_object_extra(merchant_id);
        """
    )
}
