import Foundation
import Hummingbird
import PayrailCore
import PayrailStore

/// Refunds and settlements of an order: request, fetch, list per order. A request is one write transaction with
/// its Idempotency-Key's stored answer (and a settlement's description), like an order's create.
enum ApplicationRoutes {
    static let all: [APIRoute] = [
        APIRoute(method: .post, path: "/v1/orders/{id}/refunds", handler: .transaction(createRefund)),
        APIRoute(method: .get, path: "/v1/orders/{id}/refunds", handler: .read(listRefunds)),
        APIRoute(method: .get, path: "/v1/refunds/{id}", handler: .read(fetchRefund)),
        APIRoute(method: .post, path: "/v1/orders/{id}/settlements", handler: .transaction(createSettlement)),
        APIRoute(method: .get, path: "/v1/orders/{id}/settlements", handler: .read(listSettlements)),
        APIRoute(method: .get, path: "/v1/settlements/{id}", handler: .read(fetchSettlement)),
    ]

    @Sendable static func createRefund(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID, _ fields: JSONFields
    ) throws -> TransactionalWrite {
        try fields.allowOnly(["out_refund_no", "amount", "reason"])
        let order: OrderID = try request.pathID(context, "order")
        let number = try fields.requiredString("out_refund_no", maximum: 64)
        let amount = try fields.requiredInteger("amount")
        guard amount > 0 else { throw APIError.invalid("amount", "must be a positive number of fen") }
        let reason = try fields.string("reason", maximum: 256)
        let refund = NewRefund(outRefundNo: number, amount: .fen(amount), reason: reason)
        return TransactionalWrite { db in
            let created = try gateway.refunds.request(in: db, merchant: merchant, order: order, refund)
            return WriteOutcome(answer: .json(created.existed ? .ok : .created, Present.application(created.record)))
        }
    }

    @Sendable static func listRefunds(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let order: OrderID = try request.pathID(context, "order")
        let records = try await gateway.refunds.list(merchant: merchant, order: order)
        return .json(.ok, listBody(records.map { Present.application($0) }, hasMore: false))
    }

    @Sendable static func fetchRefund(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let id: RefundID = try request.pathID(context, "refund")
        return .json(.ok, Present.application(try await gateway.refunds.find(merchant: merchant, id: id)))
    }

    @Sendable static func createSettlement(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID, _ fields: JSONFields
    ) throws -> TransactionalWrite {
        try fields.allowOnly(["out_settle_no", "amount", "description", "receivers"])
        let order: OrderID = try request.pathID(context, "order")
        let number = try fields.requiredString("out_settle_no", maximum: 64)
        let amount = try fields.requiredInteger("amount")
        guard amount > 0 else { throw APIError.invalid("amount", "must be a positive number of fen") }
        let description = try fields.requiredString("description", maximum: 80)
        guard !description.isEmpty else { throw APIError.invalid("description", "must not be empty") }
        let receivers =
            fields.has("receivers") ? try Receivers.parse(try fields.array("receivers"), param: "receivers") : []
        let settlement = NewSettlement(outSettleNo: number, amount: .fen(amount), receivers: receivers)
        return TransactionalWrite { db in
            let settlements = gateway.settlements
            // Douyin settles either exactly the receivers' shares or, finally, everything left: refuse any other
            // amount up front (a repeat of an existing number is answered by the repository as before).
            if try settlements.find(in: db, merchant: merchant, outSettleNo: number) == nil {
                let current = try gateway.orders.find(in: db, merchant: merchant, id: order)
                if current.status.isPaid {
                    try SettlementRules.validateShape(
                        amount: .fen(amount), receivers: receivers, settleable: current.balances.uncommitted)
                }
            }
            let created = try settlements.request(in: db, merchant: merchant, order: order, settlement)
            guard created.existed else {
                let extras = ObjectExtras(description: description)
                try ObjectExtras.insert(
                    PendingExtras(
                        extras: extras, objectID: created.record.id, merchant: merchant,
                        nowMillis: gateway.outbox.clock.nowMillis()),
                    in: db)
                return WriteOutcome(answer: .json(.created, Present.application(created.record, extras)))
            }
            let extras = try ObjectExtras.load(created.record.id, in: db)
            return WriteOutcome(answer: .json(.ok, Present.application(created.record, extras)))
        }
    }

    @Sendable static func listSettlements(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let order: OrderID = try request.pathID(context, "order")
        let records = try await gateway.settlements.list(merchant: merchant, order: order)
        let extras = try await ObjectExtras.load(records.map(\.id), database: gateway.database)
        return .json(.ok, listBody(records.map { Present.application($0, extras[$0.id]) }, hasMore: false))
    }

    @Sendable static func fetchSettlement(
        _ gateway: Gateway, _ request: Request, _ context: GatewayContext, _ merchant: MerchantID
    ) async throws -> APIResponse {
        try request.allowQuery([])
        let id: SettlementID = try request.pathID(context, "settlement")
        let record = try await gateway.settlements.find(merchant: merchant, id: id)
        let extras = try await ObjectExtras.load([record.id], database: gateway.database)
        return .json(.ok, Present.application(record, extras[record.id]))
    }
}
