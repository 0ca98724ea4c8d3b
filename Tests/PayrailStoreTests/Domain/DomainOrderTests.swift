import Foundation
import GRDB
import PayrailCore
import Testing

@testable import PayrailStore

@Suite("Order repository")
struct DomainOrderTests {
    /// The `order.created` payload is what `EventJSON.text` makes of the order (and so what every other event of the
    /// order looks like), escapes included, and parses back to the order's text.
    @Test func theCreatedEventPayloadIsTheOrdersEventJSON() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let request = NewOrder(
            outOrderNo: "J-1", amount: .fen(2376), subject: "Tea \"green\" \\ 茶 / x", body: nil,
            notifyURL: "https://shop.example/notify?a=1&b=/c")
        let created = try await fixture.orders.create(merchant: fixture.merchant, request)
        let payload = try await fixture.database.read { db in
            try String.fetchOne(
                db, sql: "SELECT payload FROM event WHERE aggregate = ? AND type = 'order.created'",
                arguments: [created.record.id.rawValue])
        }
        #expect(payload == (try EventJSON.text(created.record.jsonObject)))
        let text = try #require(payload)
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(parsed["subject"] as? String == "Tea \"green\" \\ 茶 / x")
        #expect(parsed["notify_url"] as? String == "https://shop.example/notify?a=1&b=/c")
    }

    /// A draft made outside any transaction writes nothing; written, it is exactly the stored row (and its event
    /// the stored row's JSON); a second draft of the same number finds the first order or conflicts, writing
    /// nothing; another merchant's account is refused when drafting.
    @Test func aDraftIsWrittenAsTheStoredOrderAndOnlyOnce() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let account = try await fixture.channels.addDouyin(
            merchant: fixture.merchant,
            credentials: DouyinCredentials(appID: "tt_draft", salt: "s", token: "t", merchantID: "m1"),
            secrets: DomainFixture.secrets)
        let request = NewOrder(
            outOrderNo: "D-1", amount: .fen(990), subject: "Tea", body: "green", notifyURL: "https://shop.example/n",
            channelAccountID: account.id)
        let draft = try fixture.orders.draft(merchant: fixture.merchant, request)
        #expect(try await fixture.count("orders") == 0)
        #expect(try await fixture.count("event") == 0)
        let created = try await fixture.database.write { db in try fixture.orders.create(in: db, draft) }
        #expect(!created.existed && created.record == draft.order)
        let stored = try await fixture.orders.find(merchant: fixture.merchant, id: draft.order.id)
        #expect(stored == created.record, "the draft is the row as stored")
        let payload = try await fixture.database.read { db in
            try String.fetchOne(
                db, sql: "SELECT payload FROM event WHERE aggregate = ?", arguments: [stored.id.rawValue])
        }
        #expect(payload == (try EventJSON.text(stored.jsonObject)))
        #expect(try await fixture.count("merchant_event") == 1)
        let webhooks = try await fixture.count("webhook_delivery")
        let notified = try await fixture.database.read { db in
            try String.fetchAll(db, sql: "SELECT url FROM webhook_delivery WHERE endpoint_id IS NULL")
        }
        #expect(notified == ["https://shop.example/n"], "order.created goes to the order's notify_url")

        let again = try fixture.orders.draft(merchant: fixture.merchant, request)
        #expect(again.order.id != draft.order.id)
        let found = try await fixture.database.write { db in try fixture.orders.create(in: db, again) }
        #expect(found.existed && found.record == stored)
        var changed = request
        changed.amount = .fen(991)
        let other = try fixture.orders.draft(merchant: fixture.merchant, changed)
        let conflict = await #expect(throws: DomainError.self) {
            try await fixture.database.write { db in try fixture.orders.create(in: db, other) }
        }
        #expect(conflict?.code == "conflict")
        #expect(try await fixture.count("orders") == 1)
        #expect(try await fixture.count("event") == 1)
        #expect(try await fixture.count("merchant_event") == 1)
        #expect(try await fixture.count("webhook_delivery") == webhooks)

        let stranger = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        for _ in 0..<2 {
            let foreign = #expect(throws: DomainError.self) { try fixture.orders.draft(merchant: stranger, request) }
            #expect(foreign?.code == "not_found", "refusals are not remembered")
        }
        let unknown = #expect(throws: DomainError.self) {
            try fixture.orders.draft(
                merchant: MerchantID.generate(), NewOrder(outOrderNo: "D-2", amount: .fen(1), subject: "x"))
        }
        #expect(unknown?.code == "not_found")
    }

    /// The typed writer of an order's event payload gives exactly the generic writer's text of `jsonObject`, for
    /// every key, in every state, with and without optional fields, escapes included.
    @Test func theTypedEventPayloadIsTheGenericOne() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let plain = try await fixture.order(100)
        let escaped = try await fixture.orders.create(
            merchant: fixture.merchant,
            NewOrder(
                outOrderNo: "E-1", amount: .fen(7), subject: "Tea \"green\" \\ 茶 😀", body: "a/b \\ \"c\"",
                notifyURL: "https://shop.example/n?a=b&c=/d")
        ).record
        let unpaid = try await fixture.order(2376)
        _ = try await fixture.orders.recordProviderOrder(unpaid.id, providerOrderID: "p-\"1\"", payParams: "{}")
        let paid = try await fixture.orders.apply(unpaid.id, .paymentConfirmed(.fen(2376))).record
        let closed = try await fixture.orders.requestClose(merchant: fixture.merchant, id: plain.id).record
        for order in [plain, escaped, paid, closed] {
            #expect(order.eventJSONText == (try EventJSON.text(order.jsonObject)), "\(order.id)")
            #expect(Set(EventField.allCases.map(\.rawValue)) == Set(order.jsonObject.keys))
        }
        #expect(paid.paidAtMillis != nil && paid.providerOrderID != nil, "a paid order has every optional field")
    }

    @Test func createIsIdempotentPerMerchantNumberAndScopedByMerchant() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let request = NewOrder(
            outOrderNo: "A-1", amount: .fen(2376), subject: "Tea", notifyURL: "https://shop.example/notify")
        let first = try await fixture.orders.create(merchant: fixture.merchant, request)
        #expect(!first.existed && first.record.status == .created)
        let again = try await fixture.orders.create(merchant: fixture.merchant, request)
        #expect(again.existed && again.record.id == first.record.id)
        var changed = request
        changed.amount = .fen(1)
        let conflict = await #expect(throws: DomainError.self) {
            try await fixture.orders.create(merchant: fixture.merchant, changed)
        }
        #expect(conflict?.code == "conflict")
        #expect(try await fixture.eventTypes(aggregate: first.record.id.rawValue) == ["order.created"])

        let other = try await fixture.merchants.create(name: "Other", secrets: DomainFixture.secrets).merchant.id
        let theirs = try await fixture.orders.create(merchant: other, request)
        #expect(!theirs.existed && theirs.record.id != first.record.id, "numbers are unique per merchant only")
        let foreign = await #expect(throws: DomainError.self) {
            try await fixture.orders.find(merchant: other, id: first.record.id)
        }
        #expect(foreign?.code == "not_found")
        let close = await #expect(throws: DomainError.self) {
            try await fixture.orders.requestClose(merchant: other, id: first.record.id)
        }
        #expect(close?.code == "not_found")
        #expect(try await fixture.orders.find(merchant: fixture.merchant, outOrderNo: "A-1").id == first.record.id)
    }

    @Test func malformedOrdersAreRefusedAndChangeNothing() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let bad: [(NewOrder, String)] = [
            (NewOrder(outOrderNo: "", amount: .fen(1), subject: "s"), "invalid_out_order_no"),
            (NewOrder(outOrderNo: "has space", amount: .fen(1), subject: "s"), "invalid_out_order_no"),
            (NewOrder(outOrderNo: "x", amount: .fen(0), subject: "s"), "invalid_amount"),
            (NewOrder(outOrderNo: "x", amount: .fen(-5), subject: "s"), "invalid_amount"),
            (NewOrder(outOrderNo: "x", amount: .fen(1), subject: ""), "invalid_subject"),
            (NewOrder(outOrderNo: "x", amount: .fen(1), subject: "s", notifyURL: "ftp://x"), "invalid_notify_url"),
            (NewOrder(outOrderNo: "x", amount: .fen(1), subject: "s", expiresAtMillis: 1), "invalid_expires_at"),
            (NewOrder(outOrderNo: "x", amount: .fen(1), subject: "s", channelAccountID: .generate()), "not_found"),
        ]
        for (request, code) in bad {
            let error = await #expect(throws: DomainError.self) {
                try await fixture.orders.create(merchant: fixture.merchant, request)
            }
            #expect(error?.code == code)
        }
        #expect(try await fixture.count("orders") == 0)
        #expect(try await fixture.count("event") == 0)
    }

    enum Outcome: Equatable { case applied, ignored, anomaly, rejected }

    /// Every (state, provider signal) pair through the repository: the status after, the outcome, and whether a
    /// payment was posted. The pure table is in PayrailCoreTests; this checks the store executes it.
    static let table: [(OrderStatus, OrderSignal, OrderStatus, Outcome)] = {
        let pay = OrderSignal.paymentConfirmed(.fen(1000))
        let wrong = OrderSignal.paymentConfirmed(.fen(999))
        let refused = OrderSignal.providerRefused(reason: "r")
        return [
            (.created, .providerOrderCreated, .awaitingPayment, .applied), (.created, refused, .failed, .applied),
            (.created, pay, .paid, .applied), (.created, wrong, .created, .anomaly),
            (.created, .closeRequested, .created, .applied), (.created, .closeConfirmed, .closed, .applied),
            (.awaitingPayment, .providerOrderCreated, .awaitingPayment, .ignored),
            (.awaitingPayment, refused, .awaitingPayment, .ignored), (.awaitingPayment, pay, .paid, .applied),
            (.awaitingPayment, .closeRequested, .awaitingPayment, .applied),
            (.awaitingPayment, .closeConfirmed, .closed, .applied),
            (.paid, .providerOrderCreated, .paid, .ignored), (.paid, refused, .paid, .ignored),
            (.paid, pay, .paid, .ignored), (.paid, wrong, .paid, .anomaly), (.paid, .closeRequested, .paid, .rejected),
            (.paid, .closeConfirmed, .paid, .ignored),
            (.partiallyRefunded, pay, .partiallyRefunded, .ignored),
            (.partiallyRefunded, .closeRequested, .partiallyRefunded, .rejected),
            (.refunded, pay, .refunded, .ignored), (.refunded, .closeConfirmed, .refunded, .ignored),
            (.closed, pay, .paid, .applied), (.closed, .closeRequested, .closed, .ignored),
            (.closed, .providerOrderCreated, .closed, .ignored), (.closed, wrong, .closed, .anomaly),
            (.failed, pay, .paid, .applied), (.failed, .closeConfirmed, .failed, .ignored),
        ]
    }()

    @Test func everyTransitionThroughTheRepository() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        for (from, signal, expected, outcome) in Self.table {
            let order = try await drive(fixture, to: from)
            let (events, postings) = (try await fixture.count("event"), try await fixture.count("ledger_transaction"))
            let result = try await fixture.orders.apply(order.id, signal)
            let stored = try await fixture.orders.get(order.id)
            let label = "\(from) + \(signal)"
            #expect(stored.status == expected, "\(label)")
            #expect(result.record == stored, "\(label)")
            let newEvents = try await fixture.count("event") - events
            let newPostings = try await fixture.count("ledger_transaction") - postings
            switch result.transition {
            case .applied:
                #expect(outcome == .applied, "\(label)")
                #expect(newEvents >= 1, "\(label)")
            case .ignored:
                #expect(outcome == .ignored, "\(label)")
                #expect(newEvents == 0 && stored == order, "\(label): an ignored signal changes nothing")
            case .anomaly:
                #expect(outcome == .anomaly, "\(label)")
                #expect(stored.needsAttention && stored.status == order.status, "\(label)")
            case .rejected:
                #expect(outcome == .rejected, "\(label)")
                #expect(newEvents == 0, "\(label)")
            }
            let paysNow = outcome == .applied && expected == .paid
            #expect(newPostings == (paysNow ? 1 : 0), "\(label): only a first payment posts")
        }
        #expect(try await fixture.violations() == [])
    }

    @Test func aPaymentAfterCloseIsRecordedAndFlagged() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.order(500)
        _ = try await fixture.orders.requestClose(merchant: fixture.merchant, id: order.id)
        _ = try await fixture.orders.apply(order.id, .closeConfirmed)
        let paid = try await fixture.orders.apply(order.id, .paymentConfirmed(.fen(500))).record
        #expect(paid.status == .paid && paid.needsAttention && paid.balances.paid == .fen(500))
        #expect(paid.paidAtMillis != nil)
        #expect(
            try await fixture.eventTypes(aggregate: order.id.rawValue) == [
                "order.created", "order.close_requested", "order.closed", "order.paid", "alert.raised",
            ])
        let alert = try await fixture.database.read { db in
            try String.fetchOne(db, sql: "SELECT payload FROM event WHERE type = 'alert.raised'")
        }
        #expect(alert?.contains("paid_after_closed") == true)
        #expect(try await fixture.violations() == [])
        let close = await #expect(throws: DomainError.self) {
            try await fixture.orders.requestClose(merchant: fixture.merchant, id: order.id)
        }
        #expect(close?.code == "order_not_closable")
    }

    @Test func providerOrderParametersAreStoredOnceAndRefundSignalsAreRefused() async throws {
        let fixture = try await DomainFixture.make()
        defer { fixture.tearDown() }
        let order = try await fixture.order(300)
        let first = try await fixture.orders.recordProviderOrder(
            order.id, providerOrderID: "N1", payParams: #"{"order_id":"N1","order_token":"T1"}"#)
        #expect(first.record.status == .awaitingPayment && first.record.providerOrderID == "N1")
        let late = try await fixture.orders.recordProviderOrder(order.id, providerOrderID: "N2", payParams: "{}")
        #expect(late.record.providerOrderID == "N1" && late.record.payParams?.contains("T1") == true)
        let refused = await #expect(throws: DomainError.self) {
            try await fixture.orders.apply(order.id, .refundSucceeded(.fen(1)))
        }
        #expect(refused?.code == "invalid_signal")
    }

    /// A new order of 1000 fen brought to a status through the repositories.
    private func drive(_ fixture: DomainFixture, to status: OrderStatus) async throws -> Order {
        let order = try await fixture.order(1000)
        let id = order.id
        switch status {
        case .created: return order
        case .awaitingPayment: _ = try await fixture.orders.apply(id, .providerOrderCreated)
        case .paid: _ = try await fixture.orders.apply(id, .paymentConfirmed(.fen(1000)))
        case .partiallyRefunded, .refunded:
            _ = try await fixture.orders.apply(id, .paymentConfirmed(.fen(1000)))
            let amount: Int64 = status == .refunded ? 1000 : 400
            let refund = try await fixture.refunds.request(
                merchant: fixture.merchant, order: id, NewRefund(outRefundNo: UUID().uuidString, amount: .fen(amount)))
            _ = try await fixture.refunds.apply(try #require(RefundID(refund.record.id)), .succeeded(fee: nil))
        case .closed: _ = try await fixture.orders.apply(id, .closeConfirmed)
        case .failed: _ = try await fixture.orders.apply(id, .providerRefused(reason: "no"))
        }
        let stored = try await fixture.orders.get(id)
        #expect(stored.status == status)
        return stored
    }
}
