import PayrailCore
import PayrailSigning

/// The JSON the `/sandbox/...` inspection endpoints show for the sandbox's records (times as Unix ms and CST).
enum InspectionViews {
    /// An order with its state and times.
    static func order(_ order: OrderRecord) -> JSONValue {
        .members([
            "order_id": .string(order.orderID),
            "app_id": .string(order.appID),
            "out_order_no": .string(order.outOrderNo),
            "total_amount": .int(order.totalAmount),
            "subject": .string(order.subject),
            "status": .string(order.status),
            "way": .int(order.way),
            "channel_no": .string(order.channelNo),
            "cp_extra": .string(order.cpExtra),
            "notify_url": .string(order.notifyURL),
            "valid_time": .int(order.validTime),
            "created_at": .int(order.createdAt),
            "expires_at": .int(order.expiresAt),
            "paid_at": order.paidAt.map { .int($0) } ?? .null,
            "pay_time": .string(order.paidAt.map { ChinaTime.formatDateTime($0.millisDate) } ?? ""),
        ])
    }

    /// A refund application.
    static func refund(_ refund: RefundRecord) -> JSONValue {
        .members([
            "refund_no": .string(refund.refundNo),
            "out_refund_no": .string(refund.outRefundNo),
            "order_id": .string(refund.orderID),
            "refund_amount": .int(refund.refundAmount),
            "status": .string(refund.status),
            "all_settle": .bool(refund.allSettle),
            "created_at": .int(refund.createdAt),
            "due_at": .int(refund.dueAt),
            "finished_at": refund.finishedAt.map { .int($0) } ?? .null,
        ])
    }

    /// A settle request.
    static func settle(_ settle: SettleRecord) -> JSONValue {
        .members([
            "settle_no": .string(settle.settleNo),
            "out_settle_no": .string(settle.outSettleNo),
            "order_id": .string(settle.orderID),
            "settle_amount": .int(settle.settleAmount),
            "receivers_amount": .int(settle.receiversAmount),
            "rake": .int(settle.rake),
            "is_final": .bool(settle.isFinal),
            "settle_params": .string(settle.settleParams),
            "status": .string(settle.status),
            "created_at": .int(settle.createdAt),
            "due_at": .int(settle.dueAt),
            "finished_at": settle.finishedAt.map { .int($0) } ?? .null,
        ])
    }

    /// A callback with every attempt and answer.
    static func callback(_ callback: CallbackRecord, attempts: [CallbackAttemptRecord]) -> JSONValue {
        .members([
            "id": .int(callback.id),
            "app_id": .string(callback.appID),
            "type": .string(callback.type),
            "number": .string(callback.number),
            "order_id": .string(callback.orderID),
            "url": .string(callback.url),
            "status": .string(callback.status),
            "faults": .string(callback.faults),
            "attempts": .int(callback.attempts),
            "next_at": .int(callback.nextAt),
            "created_at": .int(callback.createdAt),
            "body": .string(callback.body),
            "deliveries": .array(
                attempts.map { attempt in
                    .members([
                        "attempt": .int(attempt.attempt),
                        "sent_at": .int(attempt.sentAt),
                        "http_status": attempt.httpStatus.map { .int($0) } ?? .null,
                        "response": .string(attempt.response),
                        "error": .string(attempt.error),
                        "acknowledged": .bool(attempt.acknowledged),
                    ])
                }),
        ])
    }
}
