import Logging

/// For people without Telegram or a webhook: each event as one line in Warden's log.
public struct LogNotifier: Notifier {
    let logger: Logger
    public var minimumInterval: Duration { .zero }

    public init(logger: Logger) { self.logger = logger }

    public func deliver(_ batch: AlertBatch) async -> DeliveryResult {
        for event in batch.events {
            let level: Logger.Level = switch event.routingLevel {
            case .critical: .critical
            case .unhealthy: .error
            case .degraded: .warning
            case .healthy: .notice
            }
            logger.log(level: level, "alert: \(AlertFormat.plain(event, instance: batch.instance))", metadata: ["alert_id": "\(event.id)"])
        }
        return .delivered
    }
}
