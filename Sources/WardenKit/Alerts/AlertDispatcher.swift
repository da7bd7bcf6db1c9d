import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The time the dispatcher lives in. Tests compress an hour of outage into seconds with a faster clock.
public protocol AlertClock: Sendable {
    func now() -> Double
    func sleep(_ duration: Duration) async
}

public struct SystemAlertClock: AlertClock {
    public init() {}
    public func now() -> Double { Date().timeIntervalSince1970 }
    public func sleep(_ duration: Duration) async { try? await Task.sleep(for: duration) }
}

/// One configured channel: its name (the `channel` label), the lowest level it hears about, its notifier.
public struct AlertChannel: Sendable {
    public var name: String
    public var minLevel: HealthLevel
    public var notifier: any Notifier

    public init(name: String, minLevel: HealthLevel, notifier: any Notifier) {
        self.name = name
        self.minLevel = minLevel
        self.notifier = notifier
    }
}

/// Delivery counts and latencies since Warden started, per channel, for `/metrics`.
public final class AlertStats: Sendable {
    public static let latencyBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600]

    public struct Channel: Sendable {
        public var results: [String: Int] = ["delivered": 0, "retried": 0, "failed": 0]
        public var buckets = [Int](repeating: 0, count: AlertStats.latencyBuckets.count)
        public var latencySum = 0.0
        public var latencyCount = 0
    }

    private let channels: Mutex<[String: Channel]>

    public init(channels: [String]) {
        self.channels = Mutex(Dictionary(uniqueKeysWithValues: channels.map { ($0, Channel()) }))
    }

    func count(_ channel: String, _ result: String, _ n: Int = 1) {
        channels.withLock { $0[channel, default: Channel()].results[result, default: 0] += n }
    }

    func delivered(_ channel: String, latencies: [Double]) {
        channels.withLock { all in
            var stats = all[channel, default: Channel()]
            stats.results["delivered", default: 0] += latencies.count
            for latency in latencies {
                for (index, bound) in Self.latencyBuckets.enumerated() where latency <= bound { stats.buckets[index] += 1 }
                stats.latencySum += latency
                stats.latencyCount += 1
            }
            all[channel] = stats
        }
    }

    public var snapshot: [String: Channel] { channels.withLock { $0 } }
}

/// Delivers the outbox, one loop per channel: oldest first (a message that must be retried holds the ones
/// behind it, so order is kept), bursts within `groupWindow` as one message, exponential backoff or the
/// receiver's `retry_after`, the channel's minimum interval, and dead letters for permanent failures and
/// messages older than `maxAge`.
public struct AlertDispatcher: Service {
    public struct Settings: Sendable {
        public var groupWindow: Duration
        public var maxAge: Duration
        public var backoff: Backoff
        /// Events per message at most.
        public var maxBatch = 20

        public init(groupWindow: Duration, maxAge: Duration,
                    backoff: Backoff = Backoff(initial: .seconds(1), multiplier: 2, maximum: .seconds(300), jitter: 0.1,
                                               resetAfter: .zero)) {
            self.groupWindow = groupWindow
            self.maxAge = maxAge
            self.backoff = backoff
        }
    }

    let channels: [AlertChannel]
    let store: WardenStore
    let settings: Settings
    let clock: any AlertClock
    let stats: AlertStats
    let logger: Logger

    public init(channels: [AlertChannel], store: WardenStore, settings: Settings, clock: any AlertClock = SystemAlertClock(),
                stats: AlertStats, logger: Logger) {
        self.channels = channels
        self.store = store
        self.settings = settings
        self.clock = clock
        self.stats = stats
        self.logger = logger
    }

    public func run() async {
        await store.retryQueuedNow()
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for channel in channels {
                    group.addTask { await loop(channel) }
                }
            }
        }
    }

    /// Delivers at once, outside the outbox, on every channel: for Warden's own problems when its database
    /// (where the outbox lives) cannot be written. Best effort: one attempt per channel, logged if it fails.
    public func sendDirect(_ event: AlertEvent) {
        for channel in channels {
            Task {
                let result = await channel.notifier.deliver(AlertBatch(id: event.id, events: [event]))
                if result != .delivered {
                    logger.error("could not deliver a problem of Warden's own", metadata: ["channel": "\(channel.name)"])
                }
            }
        }
    }

    private func loop(_ channel: AlertChannel) async {
        var seen = -1
        var due = 0.0
        var lastSent = -Double.infinity
        while !Task.isCancelled {
            let rings = store.doorbell.count
            if rings != seen || clock.now() >= due {
                seen = rings
                due = await deliverDue(channel, lastSent: &lastSent)
            }
            // A cheap in-memory check; the database is read only when something is queued or due.
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Delivers whatever is due; returns when the channel should be looked at next.
    func deliverDue(_ channel: AlertChannel, lastSent: inout Double) async -> Double {
        while !Task.isCancelled {
            let rows: [OutboxRow]
            do {
                rows = try await store.pendingAlerts(channel: channel.name, limit: settings.maxBatch * 5)
            } catch {
                logger.error("cannot read the alert outbox", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
                return clock.now() + 5
            }
            guard let head = rows.first else { return .infinity }
            let now = clock.now()
            if now - head.createdAt > settings.maxAge.seconds {
                let expired = rows.filter { now - $0.createdAt > settings.maxAge.seconds }.map(\.id)
                await store.deadLetter(expired, reason: "older than max_age (\(Units.formatDuration(settings.maxAge)))", at: now)
                stats.count(channel.name, "failed", expired.count)
                logger.error("alerts expired undelivered; moved to the dead letters",
                             metadata: ["channel": "\(channel.name)", "count": "\(expired.count)", "last_error": "\(head.lastError ?? "none")"])
                continue
            }
            if head.nextAttemptAt > now { return head.nextAttemptAt }
            let windowEnd = head.createdAt + settings.groupWindow.seconds
            if settings.groupWindow > .zero && now < windowEnd { return windowEnd }
            if now < lastSent + channel.notifier.minimumInterval.seconds { return lastSent + channel.notifier.minimumInterval.seconds }
            let batch = settings.groupWindow > .zero
                ? Array(rows.prefix { $0.createdAt <= windowEnd }.prefix(settings.maxBatch)) : [head]
            let ids = batch.map(\.id)
            // Stable across retries: a receiver that has it already can ignore it.
            let batchID = "\(head.event.id)" + (batch.count > 1 ? "+\(batch.count - 1)" : "")
            let result = await channel.notifier.deliver(AlertBatch(id: batchID, events: batch.map(\.event)))
            let finished = clock.now()
            lastSent = finished
            switch result {
            case .delivered:
                await store.acknowledge(ids)
                stats.delivered(channel.name, latencies: batch.map { max(0, finished - $0.createdAt) })
            case .retry(let after, let reason):
                let delay = after ?? settings.backoff.delay(attempt: head.attempts, random: Double.random(in: 0..<1))
                await store.reschedule(ids, at: finished + delay.seconds, error: reason)
                stats.count(channel.name, "retried")
                if head.attempts == 0 {
                    logger.warning("alert delivery failed; retrying", metadata: ["channel": "\(channel.name)", "reason": "\(reason)"])
                }
                return finished + delay.seconds
            case .failed(let reason):
                await store.deadLetter(ids, reason: reason, at: finished)
                stats.count(channel.name, "failed", ids.count)
                logger.error("alert delivery failed for good; moved to the dead letters",
                             metadata: ["channel": "\(channel.name)", "count": "\(ids.count)", "reason": "\(reason)"])
            }
        }
        return .infinity
    }
}
