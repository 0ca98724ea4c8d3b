import GRDB

/// A provider-side order (`sandbox_order`).
struct OrderRecord: Sendable, Equatable, FetchableRecord {
    /// The provider `order_id`.
    var orderID: String
    /// The app it belongs to.
    var appID: String
    /// The developer `out_order_no`.
    var outOrderNo: String
    /// The `order_token` handed to `tt.pay`.
    var orderToken: String
    /// Fen.
    var totalAmount: Int64
    /// The item subject.
    var subject: String
    /// The item body.
    var body: String
    /// The developer `cp_extra`, echoed in callbacks.
    var cpExtra: String
    /// The request `notify_url` (empty: the app default).
    var notifyURL: String
    /// Seconds until expiry after clamping.
    var validTime: Int64
    /// `PROCESSING`, `SUCCESS` or `TIMEOUT`.
    var status: String
    /// 0 until paid; 1 WeChat, 2 Alipay, 10 Douyin Pay.
    var way: Int
    /// The channel-side payment number once paid.
    var channelNo: String
    /// When it was created (Unix ms).
    var createdAt: Int64
    /// When it becomes `TIMEOUT` unpaid (Unix ms, time-scaled).
    var expiresAt: Int64
    /// When auto-pay pays it (Unix ms), if enabled.
    var autoPayAt: Int64?
    /// When it was paid (Unix ms).
    var paidAt: Int64?

    /// Reads a row of its table.
    init(row: Row) {
        orderID = row["order_id"]
        appID = row["app_id"]
        outOrderNo = row["out_order_no"]
        orderToken = row["order_token"]
        totalAmount = row["total_amount"]
        subject = row["subject"]
        body = row["body"]
        cpExtra = row["cp_extra"]
        notifyURL = row["notify_url"]
        validTime = row["valid_time"]
        status = row["status"]
        way = row["way"]
        channelNo = row["channel_no"]
        createdAt = row["created_at"]
        expiresAt = row["expires_at"]
        autoPayAt = row["auto_pay_at"]
        paidAt = row["paid_at"]
    }
}

/// A refund application (`sandbox_refund`).
struct RefundRecord: Sendable, Equatable, FetchableRecord {
    /// The provider `refund_no`.
    var refundNo: String
    /// The app it belongs to.
    var appID: String
    /// The developer `out_refund_no`.
    var outRefundNo: String
    /// The provider `order_id`.
    var orderID: String
    /// Fen.
    var refundAmount: Int64
    /// The refund reason.
    var reason: String
    /// The developer `cp_extra`, echoed in callbacks.
    var cpExtra: String
    /// The request `notify_url` (empty: the app default).
    var notifyURL: String
    /// Whether `all_settle=1` (refund after settlement) was asked.
    var allSettle: Bool
    /// Whether the order was fully settled when the refund was accepted.
    var isAllSettled: Bool
    /// `PROCESSING`, `SUCCESS` or `FAIL`.
    var status: String
    /// When it was created (Unix ms).
    var createdAt: Int64
    /// When it finishes (Unix ms).
    var dueAt: Int64
    /// When it finished (Unix ms).
    var finishedAt: Int64?

    /// Reads a row of its table.
    init(row: Row) {
        refundNo = row["refund_no"]
        appID = row["app_id"]
        outRefundNo = row["out_refund_no"]
        orderID = row["order_id"]
        refundAmount = row["refund_amount"]
        reason = row["reason"]
        cpExtra = row["cp_extra"]
        notifyURL = row["notify_url"]
        allSettle = row["all_settle"]
        isAllSettled = row["is_all_settled"]
        status = row["status"]
        createdAt = row["created_at"]
        dueAt = row["due_at"]
        finishedAt = row["finished_at"]
    }
}

/// A settle request (`sandbox_settle`).
struct SettleRecord: Sendable, Equatable, FetchableRecord {
    /// The provider `settle_no`.
    var settleNo: String
    /// The app it belongs to.
    var appID: String
    /// The developer `out_settle_no`.
    var outSettleNo: String
    /// The provider `order_id`.
    var orderID: String
    /// The `settle_desc`.
    var settleDesc: String
    /// The `settle_params` JSON string (empty: no receivers).
    var settleParams: String
    /// Fen paid to third-party receivers.
    var receiversAmount: Int64
    /// Fen settled by this request.
    var settleAmount: Int64
    /// The platform fee, fen.
    var rake: Int64
    /// The CPS commission, fen (always 0 here).
    var commission: Int64
    /// Whether it settled everything left (to the seller too).
    var isFinal: Bool
    /// The developer `cp_extra`, echoed in callbacks.
    var cpExtra: String
    /// The request `notify_url` (empty: the app default).
    var notifyURL: String
    /// `PROCESSING`, `SUCCESS` or `FAIL`.
    var status: String
    /// When it was created (Unix ms).
    var createdAt: Int64
    /// When it finishes (Unix ms).
    var dueAt: Int64
    /// When it finished (Unix ms).
    var finishedAt: Int64?

    /// Reads a row of its table.
    init(row: Row) {
        settleNo = row["settle_no"]
        appID = row["app_id"]
        outSettleNo = row["out_settle_no"]
        orderID = row["order_id"]
        settleDesc = row["settle_desc"]
        settleParams = row["settle_params"]
        receiversAmount = row["receivers_amount"]
        settleAmount = row["settle_amount"]
        rake = row["rake"]
        commission = row["commission"]
        isFinal = row["is_final"]
        cpExtra = row["cp_extra"]
        notifyURL = row["notify_url"]
        status = row["status"]
        createdAt = row["created_at"]
        dueAt = row["due_at"]
        finishedAt = row["finished_at"]
    }
}

/// A callback the sandbox sends or sent (`sandbox_callback`).
struct CallbackRecord: Sendable, Equatable, FetchableRecord {
    /// The row id.
    var id: Int64
    /// The app it belongs to.
    var appID: String
    /// `payment`, `refund` or `settle`.
    var type: String
    /// The developer number it is about (`out_order_no`, `out_refund_no`, `out_settle_no`).
    var number: String
    /// The provider `order_id`.
    var orderID: String
    /// Where it is POSTed.
    var url: String
    /// The exact JSON body POSTed.
    var body: String
    /// `pending`, `sending`, `held`, `delivered`, `failed` or `dropped`.
    var status: String
    /// The faults applied, comma-separated (empty when none).
    var faults: String
    /// Attempts made so far.
    var attempts: Int
    /// When the next attempt is due (Unix ms).
    var nextAt: Int64
    /// When a reordered callback is released at the latest.
    var holdUntil: Int64?
    /// When it was created (Unix ms).
    var createdAt: Int64

    /// Reads a row of its table.
    init(row: Row) {
        id = row["id"]
        appID = row["app_id"]
        type = row["type"]
        number = row["number"]
        orderID = row["order_id"]
        url = row["url"]
        body = row["body"]
        status = row["status"]
        faults = row["faults"]
        attempts = row["attempts"]
        nextAt = row["next_at"]
        holdUntil = row["hold_until"]
        createdAt = row["created_at"]
    }
}

/// One delivery attempt of a callback (`sandbox_callback_attempt`).
struct CallbackAttemptRecord: Sendable, Equatable, FetchableRecord {
    /// The callback it belongs to.
    var callbackID: Int64
    /// 1 for the first attempt.
    var attempt: Int
    /// When it was sent (Unix ms).
    var sentAt: Int64
    /// The receiver's status, nil without an answer.
    var httpStatus: Int?
    /// The receiver's body (truncated).
    var response: String
    /// The transport error, empty when answered.
    var error: String
    /// Whether it was the documented acknowledgement.
    var acknowledged: Bool

    /// Reads a row of its table.
    init(row: Row) {
        callbackID = row["callback_id"]
        attempt = row["attempt"]
        sentAt = row["sent_at"]
        httpStatus = row["http_status"]
        response = row["response"]
        error = row["error"]
        acknowledged = row["acknowledged"]
    }
}
