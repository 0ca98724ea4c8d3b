import PayrailSigning

/// The `msg` documents of the three callback types, with the fields of douyin-ecpay.md §4.3.
enum CallbackMessages {
    /// `type=payment`: sent only for successful payments; `appid`, and `way` as a string.
    static func payment(_ order: OrderRecord, app: SandboxApp) -> JSONValue {
        .members([
            "appid": .string(order.appID),
            "cp_orderno": .string(order.outOrderNo),
            "cp_extra": .string(order.cpExtra),
            "way": .string(String(order.way)),
            "channel_no": .string(order.channelNo),
            "channel_gateway_no": .string(""),
            "payment_order_no": .string(order.channelNo),
            "out_channel_order_no": .string(order.channelNo),
            "total_amount": .int(order.totalAmount),
            "status": .string("SUCCESS"),
            "seller_uid": .string(app.merchantID),
            "extra": .string("null"),
            "item_id": .string(""),
            "paid_at": .int((order.paidAt ?? order.createdAt).unixSeconds),
            "message": .string(""),
            "order_id": .string(order.orderID),
            "ec_pay_trade_no": .string("EC" + order.orderID),
        ])
    }

    /// `type=refund`: sent for success and failure; `appid`.
    static func refund(_ refund: RefundRecord) -> JSONValue {
        .members([
            "appid": .string(refund.appID),
            "cp_refundno": .string(refund.outRefundNo),
            "cp_extra": .string(refund.cpExtra),
            "status": .string(refund.status),
            "refund_amount": .int(refund.refundAmount),
            "is_all_settled": .bool(refund.isAllSettled),
            "refunded_at": .int(refund.status == "SUCCESS" ? (refund.finishedAt ?? 0).unixSeconds : 0),
            "message": .string(refund.reason),
            "order_id": .string(refund.orderID),
            "refund_no": .string(refund.refundNo),
        ])
    }

    /// `type=settle`: sent for success and failure; this type uses `app_id`.
    static func settle(_ settle: SettleRecord, order: OrderRecord, app: SandboxApp) -> JSONValue {
        .members([
            "app_id": .string(settle.appID),
            "cp_settle_no": .string(settle.outSettleNo),
            "cp_extra": .string(settle.cpExtra),
            "status": .string(settle.status),
            "rake": .int(settle.rake),
            "commission": .int(settle.commission),
            "settle_detail": .string(settleDetail(settle, app: app)),
            "settled_at": .int(settle.status == "SUCCESS" ? (settle.finishedAt ?? 0).unixSeconds : 0),
            "message": .string(""),
            "order_id": .string(settle.orderID),
            "channel_settle_id": .string("CS" + settle.settleNo),
            "settle_amount": .int(settle.settleAmount),
            "settle_no": .string(settle.settleNo),
            "out_order_no": .string(order.outOrderNo),
            "is_auto_settle": .bool(false),
        ])
    }

    /// Free text in the documented style: `商户号<uid>-分成金额(分)<amount>` per party, seller last.
    static func settleDetail(_ settle: SettleRecord, app: SandboxApp) -> String {
        let receivers = SettleReceiver.parseStored(settle.settleParams)
        var parts = receivers.map { "商户号\($0.merchantUID)-分成金额(分)\($0.amount)" }
        let sellerShare = settle.settleAmount - settle.receiversAmount - settle.rake
        if sellerShare > 0 { parts.append("商户号\(app.merchantID)-分成金额(分)\(sellerShare)") }
        return parts.joined(separator: ",")
    }

    /// The POST body: `{"timestamp","nonce","msg","msg_signature","type"}` signed with the app's token; a
    /// `badSignature` fault flips the signature's last digit.
    static func envelope(
        msg: JSONValue, type: String, token: String, timestampSeconds: Int64, badSignature: Bool
    ) -> String {
        let msgText = msg.jsonText
        let timestamp = String(timestampSeconds)
        let nonce = String(Int.random(in: 1000...9999))
        var signature = DouyinCallbackVerifier.signature(token: token, timestamp: timestamp, nonce: nonce, msg: msgText)
        if badSignature {
            let last = signature.removeLast()
            signature.append(last == "0" ? "1" : "0")
        }
        let body: JSONValue = .members([
            "timestamp": .string(timestamp),
            "nonce": .string(nonce),
            "msg": .string(msgText),
            "msg_signature": .string(signature),
            "type": .string(type),
        ])
        return body.jsonText
    }
}
