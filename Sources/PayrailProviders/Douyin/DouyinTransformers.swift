import PayrailCore
import PayrailSigning

/// Domain requests → Douyin ecpay request parameters (douyin-ecpay.md §2), validated field by field.
///
/// Each builder returns the typed parameters that are both signed and serialised, so the body carries exactly the
/// values the `sign` covers (§3.2). Optional fields are left out rather than sent empty.
enum DouyinTransformers {
    /// The paths under the base URL.
    enum Path {
        /// Pre-order.
        static let createOrder = "/api/apps/ecpay/v1/create_order"
        /// Payment result query.
        static let queryOrder = "/api/apps/ecpay/v1/query_order"
        /// Refund application.
        static let createRefund = "/api/apps/ecpay/v1/create_refund"
        /// Refund result query.
        static let queryRefund = "/api/apps/ecpay/v1/query_refund"
        /// Settlement application.
        static let settle = "/api/apps/ecpay/v1/settle"
        /// Settlement result query.
        static let querySettle = "/api/apps/ecpay/v1/query_settle"
        /// Trade bill download (GET).
        static let bills = "/api/apps/bills"
    }

    /// create_order parameters (§2.1).
    static func createOrder(
        _ request: CreateOrderRequest, options: DouyinOrderOptions, credentials: DouyinCredentials,
        policy: NotifyURLPolicy
    ) throws(ConnectorError) -> [String: DouyinSignValue] {
        try DouyinFieldRules.outNumber("out_order_no", request.orderNumber)
        try DouyinFieldRules.amount("total_amount", request.amount, in: 1...DouyinFieldRules.maximumOrderAmount)
        try DouyinFieldRules.text("subject", request.subject, maxCharacters: 42, maxBytes: 128)
        let body = request.description ?? request.subject
        try DouyinFieldRules.text("body", body, maxCharacters: 42, maxBytes: 128)
        let validTime = try DouyinFieldRules.validTime(request.expiresAfterSeconds)
        try DouyinFieldRules.optionalText("cp_extra", request.passthrough, maxCharacters: 2048)
        try DouyinFieldRules.notifyURL(request.notifyURL, policy: policy)
        try DouyinFieldRules.optionalText("store_uid", options.storeUID, maxCharacters: 64)

        var parameters = common(credentials)
        parameters["out_order_no"] = .string(request.orderNumber)
        parameters["total_amount"] = .integer(request.amount.minorUnits)
        parameters["subject"] = .string(request.subject)
        parameters["body"] = .string(body)
        parameters["valid_time"] = .integer(Int64(validTime))
        parameters["cp_extra"] = request.passthrough.map(DouyinSignValue.string)
        parameters["notify_url"] = request.notifyURL.map(DouyinSignValue.string)
        if options.disablePaidMessage { parameters["disable_msg"] = .integer(1) }
        parameters["msg_page"] = options.messagePage.map(DouyinSignValue.string)
        parameters["store_uid"] = options.storeUID.map(DouyinSignValue.string)
        if !options.hiddenPayWays.isEmpty {
            parameters["limit_pay_way"] = .string(options.hiddenPayWays.map(\.rawValue).joined(separator: ","))
        }
        return parameters
    }

    /// query_order parameters (§2.2).
    static func queryOrder(
        orderNumber: String, credentials: DouyinCredentials
    ) throws(ConnectorError) -> [String: DouyinSignValue] {
        try DouyinFieldRules.outNumber("out_order_no", orderNumber)
        var parameters = common(credentials)
        parameters["out_order_no"] = .string(orderNumber)
        return parameters
    }

    /// create_refund parameters (§2.3).
    static func createRefund(
        _ request: CreateRefundRequest, credentials: DouyinCredentials, policy: NotifyURLPolicy
    ) throws(ConnectorError) -> [String: DouyinSignValue] {
        try DouyinFieldRules.outNumber("out_order_no", request.orderNumber)
        try DouyinFieldRules.outNumber("out_refund_no", request.refundNumber)
        try DouyinFieldRules.amount(
            "refund_amount", request.amount, in: 1...DouyinFieldRules.maximumElevenDigitAmount)
        try DouyinFieldRules.text("reason", request.reason, maxCharacters: 100)
        try DouyinFieldRules.optionalText("cp_extra", request.passthrough, maxCharacters: 2048)
        try DouyinFieldRules.notifyURL(request.notifyURL, policy: policy)

        var parameters = common(credentials)
        parameters["out_order_no"] = .string(request.orderNumber)
        parameters["out_refund_no"] = .string(request.refundNumber)
        parameters["refund_amount"] = .integer(request.amount.minorUnits)
        parameters["reason"] = .string(request.reason)
        parameters["cp_extra"] = request.passthrough.map(DouyinSignValue.string)
        parameters["notify_url"] = request.notifyURL.map(DouyinSignValue.string)
        if request.afterSettlement { parameters["all_settle"] = .integer(1) }
        return parameters
    }

    /// query_refund parameters (§2.4).
    static func queryRefund(
        refundNumber: String, credentials: DouyinCredentials
    ) throws(ConnectorError) -> [String: DouyinSignValue] {
        try DouyinFieldRules.outNumber("out_refund_no", refundNumber)
        var parameters = common(credentials)
        parameters["out_refund_no"] = .string(refundNumber)
        return parameters
    }

    /// settle parameters (§2.5). `settle_params` is a JSON **string** of `[{"merchant_uid","amount"}]`.
    static func settle(
        _ request: SettleRequest, credentials: DouyinCredentials, policy: NotifyURLPolicy
    ) throws(ConnectorError) -> [String: DouyinSignValue] {
        try DouyinFieldRules.outNumber("out_settle_no", request.settlementNumber)
        try DouyinFieldRules.outNumber("out_order_no", request.orderNumber)
        try DouyinFieldRules.text("settle_desc", request.description, maxCharacters: 80)
        try DouyinFieldRules.receivers(request.receivers)
        try DouyinFieldRules.optionalText("cp_extra", request.passthrough, maxCharacters: 2048)
        try DouyinFieldRules.notifyURL(request.notifyURL, policy: policy)

        var parameters = common(credentials)
        parameters["out_settle_no"] = .string(request.settlementNumber)
        parameters["out_order_no"] = .string(request.orderNumber)
        parameters["settle_desc"] = .string(request.description)
        if !request.receivers.isEmpty {
            let settleParams = settleParamsText(request.receivers)
            guard settleParams.utf8.count <= 2048 else {
                throw DouyinFieldRules.reject("settle_params", "must be at most 2048 characters")
            }
            parameters["settle_params"] = .string(settleParams)
        }
        if request.isFinal { parameters["finish"] = .string("true") }
        parameters["cp_extra"] = request.passthrough.map(DouyinSignValue.string)
        parameters["notify_url"] = request.notifyURL.map(DouyinSignValue.string)
        return parameters
    }

    /// query_settle parameters (§2.6).
    static func querySettle(
        settlementNumber: String, credentials: DouyinCredentials
    ) throws(ConnectorError) -> [String: DouyinSignValue] {
        try DouyinFieldRules.outNumber("out_settle_no", settlementNumber)
        var parameters = common(credentials)
        parameters["out_settle_no"] = .string(settlementNumber)
        return parameters
    }

    /// The bills query parameters (§2.8), unsigned and unencoded.
    static func bill(
        _ request: BillRequest, credentials: DouyinCredentials
    ) throws(ConnectorError) -> [(key: String, value: String)] {
        try DouyinFieldRules.billDate(request.date)
        guard let merchantID = credentials.merchantID else {
            throw DouyinFieldRules.reject("merchant_id", "the channel account has no merchant id for bills")
        }
        var parameters: [(key: String, value: String)] = [
            ("app_id", credentials.appID), ("merchant_id", merchantID), ("bill_date", request.date),
            ("bill_type", request.kind.rawValue),
        ]
        if let thirdpartyID = credentials.thirdpartyID { parameters.append(("thirdparty_id", thirdpartyID)) }
        return parameters
    }

    /// `app_id` and, in service-provider mode, `thirdparty_id` (neither is signed).
    private static func common(_ credentials: DouyinCredentials) -> [String: DouyinSignValue] {
        var parameters: [String: DouyinSignValue] = ["app_id": .string(credentials.appID)]
        parameters["thirdparty_id"] = credentials.thirdpartyID.map(DouyinSignValue.string)
        return parameters
    }

    /// `[{"merchant_uid":"…","amount":60},…]`, compact, in the receivers' order.
    static func settleParamsText(_ receivers: [SettlementReceiver]) -> String {
        let array = JSONValue.array(
            receivers.map { receiver in
                .object(
                    JSONObject([
                        .init(key: "merchant_uid", value: .string(receiver.account)),
                        .init(key: "amount", value: .number(JSONNumber(receiver.amount.minorUnits))),
                    ]))
            })
        return array.jsonText
    }
}
