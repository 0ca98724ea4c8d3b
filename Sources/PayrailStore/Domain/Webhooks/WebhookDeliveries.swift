import Foundation
import GRDB
import PayrailCore
import PayrailSigning

/// Webhook deliveries, the merchant-facing outbox: one row per (event, target) that the worker's dispatcher sends
/// and retries (`webhook_delivery`, migration 0003).
public enum WebhookDeliveries {
    /// A fresh lease token for `owner` (`lease_owner`): the owner's name and a random suffix, so every claim or
    /// adoption fences its own deliveries.
    public static func leaseToken(owner: String) -> String {
        "\(owner):\(RandomUUID.compact().prefix(12))"
    }

    /// Where the `notify_url` of the event's order comes from.
    public enum NotifyURL: Sendable {
        /// Read from the order (`orderID`) inside the transaction.
        case ofOrder
        /// Given by the caller, which holds the order as written in this transaction (nil: it has none).
        case known(String?)
    }

    /// Inserts one pending delivery of an event per live endpoint of the merchant that receives its type, plus one
    /// for the `notify_url` of order `orderID` when given (refund and settlement events name their order); returns
    /// how many. The caller's transaction commits them; then this process's webhook signal and the webhook bell
    /// ring. While a dispatcher of this process adopts deliveries (`PayrailDatabase.adoptWebhooks`), those due at
    /// once are written leased to it instead, and handed to it in memory after the commit.
    @discardableResult
    public static func create(
        eventID: String, merchantID: String, type: String, orderID: String?, notifyURL: NotifyURL = .ofOrder,
        availableAt: Int64, nowMillis: Int64, database: PayrailDatabase, in db: Database
    ) throws -> Int {
        var targets: [(endpoint: String?, url: String)] = []
        if let merchant = MerchantID(merchantID) {
            for endpoint in try WebhookEndpointRepository.live(merchant: merchant, in: db) where endpoint.receives(type)
            {
                targets.append((endpoint.id.rawValue, endpoint.url))
            }
        }
        if let orderID {
            let notify: String?
            switch notifyURL {
            case .known(let url):
                notify = url
            case .ofOrder:
                notify = try String.fetchOne(
                    db.cachedStatement(sql: "SELECT notify_url FROM orders WHERE id = ? AND merchant_id = ?"),
                    arguments: [orderID, merchantID])
            }
            if let notify { targets.append((nil, notify)) }
        }
        guard !targets.isEmpty else { return 0 }
        let adopter = availableAt <= nowMillis ? database.webhookAdopter.withLock({ $0 }) : nil
        // Registered before anything is adopted: if the transaction then rolls back whole, the hook's rollback half
        // forgets the adopted deliveries.
        database.notifyWebhooksAfterCommit(db, allAdopted: adopter != nil)
        if let adopter {
            let lease = leaseToken(owner: adopter.owner)
            let expires = nowMillis + adopter.leaseMillis
            for target in targets {
                try db.executeHot(
                    """
                    INSERT INTO webhook_delivery (event_id, merchant_id, endpoint_id, url, state, attempts,
                        next_attempt_at, lease_owner, lease_expires_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, 'leased', 0, ?, ?, ?, ?, ?)
                    """,
                    [
                        .text(eventID), .text(merchantID), .textOrNull(target.endpoint), .text(target.url),
                        .integer(availableAt), .text(lease), .integer(expires), .integer(nowMillis),
                        .integer(nowMillis),
                    ])
                database.adoptedInCurrentTransaction(
                    AdoptedWebhook(
                        id: db.lastInsertedRowID, eventID: eventID, merchantID: merchantID, endpointID: target.endpoint,
                        url: target.url, lease: lease, leaseExpiresAt: expires))
            }
        } else {
            for target in targets {
                try db.executeHot(
                    """
                    INSERT INTO webhook_delivery (event_id, merchant_id, endpoint_id, url, state, attempts,
                        next_attempt_at, created_at, updated_at)
                    VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)
                    """,
                    [
                        .text(eventID), .text(merchantID), .textOrNull(target.endpoint), .text(target.url),
                        .integer(availableAt), .integer(nowMillis), .integer(nowMillis),
                    ])
            }
        }
        return targets.count
    }
}

extension WebhookDeliveries {
    /// A webhook's body, read in one transaction: `{"id", "type", "created" (Unix ms), "data"}` where `data` is the
    /// current state of the order, refund or settlement the event is about (its aggregate), as the merchant API
    /// shows it, or the event's payload for other objects and objects no longer stored. Nil when the event is gone.
    public static func body(eventID: String, in db: Database) throws -> [UInt8]? {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT type, aggregate, payload, occurred_at FROM event WHERE id = ?"),
                arguments: [eventID])
        else { return nil }
        let aggregate: String = row["aggregate"]
        let data: Any
        if let current = try currentState(of: aggregate, in: db) {
            data = current
        } else {
            let payload: String = row["payload"]
            data = try JSONSerialization.jsonObject(with: Data(payload.utf8), options: [.fragmentsAllowed])
        }
        let type: String = row["type"]
        let occurredAt: Int64 = row["occurred_at"]
        var body: [UInt8] = []
        try JSONText.write(["id": eventID, "type": type, "created": occurredAt, "data": data], to: &body)
        return body
    }

    /// What one delivery attempt sends, read in one transaction: the body (see `body(eventID:in:)`) and the secrets
    /// that sign it — the endpoint's current secret and, during a rotation's grace period, its previous one, or the
    /// merchant's default secret for a `notify_url` delivery (`endpointID` nil). Nil when the event is gone;
    /// `not_found` when the endpoint was deleted (or the merchant is unknown). Handle the secrets as secrets.
    public static func prepare(
        eventID: String, merchantID: String, endpointID: String?, secrets: SecretBox, nowMillis: Int64,
        in db: Database
    ) throws -> (body: [UInt8], secrets: [WebhookSecret])? {
        guard let body = try body(eventID: eventID, in: db) else { return nil }
        if let endpointID {
            guard let id = WebhookEndpointID(endpointID) else {
                throw DomainFailures.notFound("webhook endpoint", endpointID)
            }
            let sealed = try WebhookEndpointRepository.sealedSigningSecrets(of: id, nowMillis: nowMillis, in: db)
            return (body, try WebhookEndpointRepository.openSigningSecrets(sealed, of: id, secrets: secrets))
        }
        guard let merchant = MerchantID(merchantID) else { throw DomainFailures.notFound("merchant", merchantID) }
        let sealed = try MerchantRepository.sealedWebhookSecret(of: merchant, in: db)
        return (body, [try MerchantRepository.openWebhookSecret(sealed, of: merchant, secrets: secrets)])
    }

    /// The merchant-facing state of an order, refund or settlement by id, if it is one and still stored.
    static func currentState(of id: String, in db: Database) throws -> [String: Any]? {
        do {
            if let order = OrderID(id) { return try OrderRepository.fetch(order, in: db).jsonObject }
            if let refund = RefundID(id) {
                return try ApplicationEngine.fetch(.refund, id: refund.rawValue, in: db).jsonObject
            }
            if let settlement = SettlementID(id) {
                return try ApplicationEngine.fetch(.settlement, id: settlement.rawValue, in: db).jsonObject
            }
        } catch let error as DomainError where error.code == "not_found" {
            return nil
        }
        return nil
    }
}
