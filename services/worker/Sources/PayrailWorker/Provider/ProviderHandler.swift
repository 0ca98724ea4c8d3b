import Foundation
import Logging
import PayrailCore
import PayrailProviders
import PayrailStore

/// The `worker.provider` consumer: provider calls and confirmation. Every branch is idempotent — it reads the
/// object's current state first, uses the Payrail id as the provider's developer number (so a retry after a
/// crash repeats the same call), and moves state only through the repositories' monotonic transitions.
///
/// Numbers: the provider's `out_order_no`, `out_refund_no` and `out_settle_no` are the Payrail ids (`ord_…`,
/// `rfd_…`, `stl_…`), which fit every provider's number rules and make callbacks resolve without a lookup table.
public final class ProviderHandler: Sendable {
    let orders: OrderRepository
    let refunds: RefundRepository
    let settlements: SettlementRepository
    let outbox: Outbox
    let directory: ConnectorDirectory
    let configuration: WorkerConfiguration
    let logger: Logger

    /// Creates the handler.
    public init(
        outbox: Outbox, directory: ConnectorDirectory, configuration: WorkerConfiguration, logger: Logger
    ) {
        self.outbox = outbox
        self.orders = OrderRepository(database: outbox.database, outbox: outbox)
        self.refunds = RefundRepository(database: outbox.database, outbox: outbox)
        self.settlements = SettlementRepository(database: outbox.database, outbox: outbox)
        self.directory = directory
        self.configuration = configuration
        self.logger = logger
    }

    var nowMillis: Int64 { outbox.clock.nowMillis() }

    /// Handles one delivery of the provider consumer group.
    public func handle(_ delivery: ClaimedDelivery) async throws -> HandlerResult {
        let type = delivery.event.type
        do {
            let result = try await route(delivery)
            WorkerMetrics.shared.handled(type, outcome: result == .done ? "done" : "retry")
            return result
        } catch let failure as WorkerFailure {
            logger.error("handler failed permanently", metadata: metadata(delivery, failure))
            WorkerMetrics.shared.handled(type, outcome: "dead")
            return .deadLetter(reason: failure.description)
        } catch let error as DomainError where error.code == "not_found" {
            logger.error("handler's object is missing", metadata: metadata(delivery, error))
            WorkerMetrics.shared.handled(type, outcome: "dead")
            return .deadLetter(reason: error.description)
        } catch {
            WorkerMetrics.shared.handled(type, outcome: "retry")
            throw error
        }
    }

    private func metadata(_ delivery: ClaimedDelivery, _ error: any Error) -> Logger.Metadata {
        ["event.id": "\(delivery.event.id)", "event.type": "\(delivery.event.type)", "error": "\(error)"]
    }

    private func route(_ delivery: ClaimedDelivery) async throws -> HandlerResult {
        let event = delivery.event
        switch event.type {
        case DomainEvents.orderCreated:
            try await orderCreated(try orderID(event.aggregate))
            return .done
        case "order.close_requested":
            _ = try await confirmOrder(try orderID(event.aggregate), closing: true)
            return .done
        case DomainEvents.refundRequested:
            try await refundRequested(event.aggregate)
            return .done
        case DomainEvents.settlementRequested:
            try await settlementRequested(event.aggregate)
            return .done
        case EventCatalog.callbackReceived:
            return try await callbackReceived(try decode(CallbackReceived.self, event), attempts: delivery.attempts)
        case EventCatalog.providerPollDue, EventCatalog.providerQueryRequested:
            let request = try decode(ProviderQueryRequested.self, event)
            let isPoll = event.type == EventCatalog.providerPollDue
            let final: Bool
            do {
                final = try await confirm(kind: request.kind, objectID: request.objectID)
            } catch let error as ConnectorError where isPoll && error.isRetrySafe {
                // The provider is busy or unreachable: the next scheduled poll is the retry, so the chain never
                // breaks on a dead letter.
                logger.warning("janitor poll failed; polling again later", metadata: metadata(delivery, error))
                final = false
            }
            if isPoll, !final {
                try await schedulePoll(
                    kind: request.kind, objectID: request.objectID, attempt: (request.attempt ?? 0) + 1)
            }
            return .done
        default:
            logger.warning("event type not handled by the provider consumer", metadata: ["event.type": "\(event.type)"])
            return .done
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ event: EventRecord) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(event.payload))
        } catch {
            throw WorkerFailure.permanent("bad_payload", "\(event.type) payload is not a valid \(type): \(error)")
        }
    }

    func orderID(_ text: String) throws -> OrderID {
        guard let id = OrderID(text) else { throw WorkerFailure.permanent("bad_id", "'\(text)' is not an order id") }
        return id
    }

    // MARK: - Orders

    /// `order.created` → provider order with the order id as `out_order_no` → pay parameters stored, order
    /// `awaiting_payment`, first janitor poll scheduled. A permanent refusal fails the order with the reason.
    func orderCreated(_ id: OrderID) async throws {
        let order = try await orders.get(id)
        switch order.status {
        case .awaitingPayment:
            try await schedulePoll(kind: "order", objectID: id.rawValue, attempt: 0)
            return
        case .created:
            break
        default:
            return
        }
        if order.closeRequested { return }  // the close request's own handler closes it
        let remaining = (order.expiresAtMillis - nowMillis) / 1000
        if remaining <= 0 {
            _ = try await orders.apply(id, .closeConfirmed)
            return
        }
        let account: AccountConnector
        do {
            account = try await directory.connector(for: order)
        } catch let failure as WorkerFailure {
            _ = try await orders.apply(id, .providerRefused(reason: failure.message))
            return
        }
        let request = CreateOrderRequest(
            orderNumber: order.outOrderNo, amount: order.amount,
            subject: Self.clip(order.subject, characters: 42, bytes: 128),
            description: order.body.flatMap { $0.isEmpty ? nil : Self.clip($0, characters: 42, bytes: 128) },
            expiresAfterSeconds: Int(remaining), notifyURL: configuration.douyinNotifyURL)
        let params: PayParams
        do {
            try Task.checkCancellation()  // untyped, so the catch below sees `any Error`
            params = try await account.connector.createOrder(request)
        } catch let error as ConnectorError where !error.isRetrySafe {
            logger.warning("provider refused the order", metadata: ["order.id": "\(id)", "error": "\(error)"])
            _ = try await orders.apply(id, .providerRefused(reason: error.message))
            return
        }
        let payParams = try Self.json(["order_id": params.providerOrderID, "order_token": params.orderToken])
        _ = try await orders.recordProviderOrder(id, providerOrderID: params.providerOrderID, payParams: payParams)
        try await schedulePoll(kind: "order", objectID: id.rawValue, attempt: 0)
    }

    /// Queries the provider about an order and applies the answer; returns whether the order needs no more
    /// polling. `closing` (a close request) closes an order the provider reports unpaid even before expiry.
    /// `evenIfClosed` (a callback) still asks about a closed or failed order: a late payment is recorded (and
    /// flagged), never ignored. `known` is the order and its connector when the caller has just read them (a
    /// callback: the apply re-reads the order in its own transaction anyway).
    func confirmOrder(
        _ id: OrderID, closing: Bool, evenIfClosed: Bool = false,
        known: (order: Order, connector: AccountConnector?)? = nil
    ) async throws -> Bool {
        let order: Order
        if let known { order = known.order } else { order = try await orders.get(id) }
        switch order.status {
        case .paid, .partiallyRefunded, .refunded: return true
        case .failed, .closed: if !evenIfClosed { return true }
        case .created, .awaitingPayment: break
        }
        let expired = nowMillis >= order.expiresAtMillis
        let account: AccountConnector
        if let connector = known?.connector {
            account = connector
        } else {
            account = try await directory.connector(for: order)
        }
        let lookup = try await account.connector.queryOrder(orderNumber: order.outOrderNo)
        switch lookup {
        case .found(let result):
            switch result.status {
            case .paid:
                let applied = try await orders.apply(id, .paymentConfirmed(result.amount))
                if case .anomaly = applied.transition { WorkerMetrics.shared.anomalies.increment() }
                return true
            case .timeout, .failed:
                _ = try await orders.apply(id, .closeConfirmed)
                return true
            case .processing:
                guard expired || closing || order.closeRequested else { return false }
                _ = try await orders.apply(id, .closeConfirmed)
                return true
            }
        case .notFound:
            guard expired || closing || order.closeRequested else { return false }
            _ = try await orders.apply(id, .closeConfirmed)
            return true
        }
    }

    // MARK: - Refunds and settlements

    func refundRequested(_ text: String) async throws {
        guard let id = RefundID(text) else { throw WorkerFailure.permanent("bad_id", "'\(text)' is not a refund id") }
        let refund = try await refunds.get(id)
        guard refund.status == .requested else {
            if refund.status == .processing { try await schedulePoll(kind: "refund", objectID: text, attempt: 0) }
            return
        }
        let order = try await orders.get(refund.orderID)
        let account = try await directory.connector(for: order)
        let reason = refund.reason.flatMap { $0.isEmpty ? nil : $0 } ?? "refund"
        let request = CreateRefundRequest(
            orderNumber: order.outOrderNo, refundNumber: refund.outNumber, amount: refund.amount,
            reason: Self.clip(reason, characters: 100, bytes: 300), notifyURL: configuration.douyinNotifyURL,
            afterSettlement: order.balances.settled.isPositive)
        do {
            try Task.checkCancellation()  // untyped, so the catch below sees `any Error`
            _ = try await account.connector.createRefund(request)
        } catch let error as ConnectorError where !error.isRetrySafe {
            logger.warning("provider refused the refund", metadata: ["refund.id": "\(text)", "error": "\(error)"])
            _ = try await refunds.apply(id, .failed(reason: error.message))
            return
        }
        _ = try await refunds.apply(id, .providerAccepted)
        try await schedulePoll(kind: "refund", objectID: text, attempt: 0)
    }

    func settlementRequested(_ text: String) async throws {
        guard let id = SettlementID(text) else {
            throw WorkerFailure.permanent("bad_id", "'\(text)' is not a settlement id")
        }
        let settlement = try await settlements.get(id)
        guard settlement.status == .requested else {
            if settlement.status == .processing {
                try await schedulePoll(kind: "settlement", objectID: text, attempt: 0)
            }
            return
        }
        let order = try await orders.get(settlement.orderID)
        guard order.status.isPaid else {
            _ = try await settlements.apply(id, .failed(reason: "order is \(order.status.rawValue), not paid"))
            return
        }
        let account = try await directory.connector(for: order)
        let request = SettleRequest(
            settlementNumber: settlement.outNumber, orderNumber: order.outOrderNo,
            description: "settlement \(settlement.outNumber)",
            receivers: settlement.receivers, notifyURL: configuration.douyinNotifyURL,
            isFinal: SettlementRules.isFinal(amount: settlement.amount, receivers: settlement.receivers))
        do {
            try Task.checkCancellation()  // untyped, so the catch below sees `any Error`
            _ = try await account.connector.settle(request)
        } catch let error as ConnectorError where !error.isRetrySafe {
            logger.warning(
                "provider refused the settlement", metadata: ["settlement.id": "\(text)", "error": "\(error)"])
            _ = try await settlements.apply(id, .failed(reason: error.message))
            return
        }
        _ = try await settlements.apply(id, .providerAccepted)
        try await schedulePoll(kind: "settlement", objectID: text, attempt: 0)
    }

    /// Queries a refund or settlement and applies the answer; returns whether it is final.
    func confirmApplication(_ kind: ApplicationKind, _ text: String) async throws -> Bool {
        let record: ApplicationRecord
        switch kind {
        case .refund:
            guard let id = RefundID(text) else {
                throw WorkerFailure.permanent("bad_id", "'\(text)' is not a refund id")
            }
            record = try await refunds.get(id)
        case .settlement:
            guard let id = SettlementID(text) else {
                throw WorkerFailure.permanent("bad_id", "'\(text)' is not a settlement id")
            }
            record = try await settlements.get(id)
        }
        if record.status.isFinal { return true }
        let order = try await orders.get(record.orderID)
        let account = try await directory.connector(for: order)
        var status = ProviderApplicationStatus.processing
        var amount: Money?
        var message: String?
        var fee: Money?
        switch kind {
        case .refund:
            guard case .found(let result) = try await account.connector.queryRefund(refundNumber: record.outNumber)
            else {
                return false
            }
            status = result.status
            amount = result.amount
            message = result.message
        case .settlement:
            guard
                case .found(let result) = try await account.connector.querySettlement(
                    settlementNumber: record.outNumber)
            else {
                return false
            }
            status = result.status
            message = result.message
            fee = result.rake
        }
        if kind == .refund, let amount, amount != record.amount {
            try await raiseAlert(
                code: "refund_amount_mismatch", message: "the provider reports refund \(amount) for \(record.amount)",
                merchant: record.merchantID, order: record.orderID, object: text, key: "query-\(text)")
            return true
        }
        let signal: ApplicationSignal
        switch status {
        case .processing:
            if record.status == .requested { try await apply(kind, text, .providerAccepted) }
            return false
        case .succeeded: signal = .succeeded(fee: fee)
        case .failed: signal = .failed(reason: message ?? "the provider reported \(kind.rawValue) failure")
        }
        try await apply(kind, text, signal)
        return true
    }

    private func apply(_ kind: ApplicationKind, _ text: String, _ signal: ApplicationSignal) async throws {
        let transition: Transition<ApplicationStatus>
        switch kind {
        case .refund:
            guard let id = RefundID(text) else { return }
            transition = try await refunds.apply(id, signal).transition
        case .settlement:
            guard let id = SettlementID(text) else { return }
            transition = try await settlements.apply(id, signal).transition
        }
        if case .anomaly = transition { WorkerMetrics.shared.anomalies.increment() }
    }

    /// Confirms an object by kind (`order`, `refund`, `settlement`); returns whether it is final.
    func confirm(kind: String, objectID: String) async throws -> Bool {
        switch kind {
        case "order": return try await confirmOrder(try orderID(objectID), closing: false)
        case "refund": return try await confirmApplication(.refund, objectID)
        case "settlement": return try await confirmApplication(.settlement, objectID)
        default: throw WorkerFailure.permanent("bad_kind", "unknown object kind '\(kind)'")
        }
    }

    // MARK: - Janitor

    /// Appends the janitor's poll number `attempt` for an open object, delayed per the schedule (for an order,
    /// never later than just after its expiry). Idempotent: the event id is derived from object and attempt.
    func schedulePoll(kind: String, objectID: String, attempt: Int) async throws {
        var delay = configuration.pollDelay(attempt: attempt)
        if kind == "order", let id = OrderID(objectID) {
            let order = try await orders.get(id)
            let untilExpiry = Duration.milliseconds(max(order.expiresAtMillis - nowMillis, 0) + 200)
            delay = min(delay, untilExpiry)
        }
        let payload = try JSONEncoder.eventPayload.encode(
            ProviderQueryRequested(kind: kind, objectID: objectID, reason: "janitor", attempt: attempt))
        let event = NewEvent(
            id: "poll-\(objectID)-\(attempt)", type: EventCatalog.providerPollDue, aggregate: "poll:\(objectID)",
            payload: Array(payload), delay: delay)
        try await appendOnce(event)
    }

    /// Appends an event unless one with its id exists (handlers run again after crashes).
    func appendOnce(_ event: NewEvent) async throws {
        let outbox = self.outbox
        try await outbox.database.write { db in
            let exists =
                try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM event WHERE id = ?"), arguments: [event.id])
                ?? false
            if !exists { try outbox.append(in: db, event) }
        }
    }

    /// Appends an `alert.raised` event (once per `key` and code): money needs a person's attention.
    func raiseAlert(
        code: String, message: String, merchant: MerchantID?, order: OrderID?, object: String, key: String
    ) async throws {
        WorkerMetrics.shared.anomalies.increment()
        logger.warning("anomaly recorded", metadata: ["code": "\(code)", "object.id": "\(object)"])
        let payload: [String: Any] = [
            "code": code, "message": message, "merchant_id": merchant.map { $0.rawValue as Any } ?? NSNull(),
            "order_id": order.map { $0.rawValue as Any } ?? NSNull(), "object_id": object,
        ]
        try await appendOnce(
            NewEvent(
                id: "alert-\(key)-\(code)", type: DomainEvents.alertRaised, aggregate: object,
                json: try Self.json(payload)))
    }

    static func json(_ object: [String: Any]) throws -> String {
        try JSONText.string(object)
    }

    /// Text cut to a provider's character and byte limits.
    static func clip(_ text: String, characters: Int, bytes: Int) -> String {
        var clipped = String(text.prefix(characters))
        while clipped.utf8.count > bytes { clipped.removeLast() }
        return clipped
    }
}
