/// Events delivered together: one message, one request. Its id is stable across retries, so a receiver can
/// de-duplicate a delivery that Warden repeats (after a timeout, or a restart between send and acknowledge).
public struct AlertBatch: Sendable, Equatable {
    public var id: String
    public var events: [AlertEvent]
    /// Which Warden sends it (the config's `instance`): every title names it.
    public var instance: String?

    public init(id: String, events: [AlertEvent], instance: String? = nil) {
        self.id = id
        self.events = events
        self.instance = instance
    }

    /// The highest level in the batch, for routing and for whether the message makes a sound.
    public var level: HealthLevel { events.map(\.routingLevel).max() ?? .healthy }
}

/// How one delivery attempt ended (as Alertmanager's notifiers say it): the outbox retries or gives up on
/// this answer alone.
public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// Worth trying again: after `after` when the receiver said so (Telegram's `retry_after`), else on the
    /// outbox's backoff.
    case retry(after: Duration?, reason: String)
    /// Will never work (a bad chat id, a rejected payload): to the dead letters.
    case failed(reason: String)
}

/// One channel's way of delivering one batch. Notifiers hold no queue and no retry logic: the outbox does.
public protocol Notifier: Sendable {
    /// The least time between two deliveries (Telegram: about one message per second per chat).
    var minimumInterval: Duration { get }
    func deliver(_ batch: AlertBatch) async -> DeliveryResult
}

extension DeliveryResult {
    /// The usual reading of an HTTP answer: 2xx delivered, 429 and 5xx later, any other 4xx never.
    static func http(status: Int, retryAfter: Duration?, reason: @autoclosure () -> String) -> DeliveryResult {
        switch status {
        case 200..<300: .delivered
        case 429: .retry(after: retryAfter, reason: reason())
        case 500..<600, 408: .retry(after: nil, reason: reason())
        default: .failed(reason: reason())
        }
    }
}
