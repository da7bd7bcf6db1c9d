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

/// Delivery counts, latencies and queue depths since Warden started, per channel, for `/metrics` (which
/// then reads no database).
public final class AlertStats: Sendable {
    public static let latencyBuckets: [Double] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600]

    public struct Channel: Sendable {
        public var results: [String: Int] = ["delivered": 0, "retried": 0, "failed": 0]
        public var buckets = [Int](repeating: 0, count: AlertStats.latencyBuckets.count)
        public var latencySum = 0.0
        public var latencyCount = 0
        public var queueDepth = 0
    }

    /// A delivered or dead-lettered event, for the status page.
    public struct Recent: Sendable, Equatable {
        public var channel: String
        public var text: String
        /// `delivered` or `dead`.
        public var result: String
        public var at: Double
    }

    private let channels: Mutex<[String: Channel]>
    private let recentEvents = Mutex<[Recent]>([])

    /// The latest deliveries and dead letters, newest first.
    public var recent: [Recent] { recentEvents.withLock { $0 } }

    func note(_ channel: String, _ events: [AlertEvent], _ result: String, at time: Double) {
        let added = events.reversed().map { Recent(channel: channel, text: AlertFormat.plain($0), result: result, at: time) }
        recentEvents.withLock { $0 = Array((added + $0).prefix(20)) }
    }

    public init(channels: [String]) {
        self.channels = Mutex(Dictionary(uniqueKeysWithValues: channels.map { ($0, Channel()) }))
    }

    /// Channels a reload added are counted from 0; those it removed keep their counts.
    func expect(channels names: [String]) {
        channels.withLock { channels in
            for name in names where channels[name] == nil { channels[name] = Channel() }
        }
    }

    func count(_ channel: String, _ result: String, _ n: Int = 1) {
        channels.withLock { $0[channel, default: Channel()].results[result, default: 0] += n }
    }

    func depth(_ channel: String, _ depth: Int) {
        channels.withLock { $0[channel, default: Channel()].queueDepth = depth }
    }

    func delivered(_ channel: String, latencies: [Double]) {
        channels.withLock { all in
            var stats = all[channel, default: Channel()]
            stats.results["delivered", default: 0] += latencies.count
            stats.queueDepth = max(0, stats.queueDepth - latencies.count)
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
/// behind it, so order is kept), bursts within `groupWindow` as one message (at most `maxBatch` events),
/// exponential backoff or the receiver's `retry_after`, the channel's minimum interval, and dead letters for
/// permanent failures and messages older than `maxAge`. A loop sleeps until the store rings or a retry is due.
public struct AlertDispatcher: Service {
    public struct Settings: Sendable {
        public var groupWindow: Duration
        public var maxAge: Duration
        public var backoff: Backoff
        /// Events per message at most.
        public var maxBatch = 20
        /// Which Warden sends the messages.
        public var instance: String?

        public init(groupWindow: Duration, maxAge: Duration, instance: String? = nil,
                    backoff: Backoff = Backoff(initial: .seconds(1), multiplier: 2, maximum: .seconds(300), jitter: 0.1,
                                               resetAfter: .zero)) {
            self.groupWindow = groupWindow
            self.maxAge = maxAge
            self.instance = instance
            self.backoff = backoff
        }
    }

    let channels: [AlertChannel]
    let store: WardenStore
    let settings: Settings
    let clock: any AlertClock
    let stats: AlertStats
    let logger: Logger
    private let direct = DirectSender()

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
        for (channel, count) in await store.deadLetterUnconfigured(keeping: channels.map(\.name), at: clock.now()) ?? [:] {
            logger.warning("\(Units.counted(count, "queued alert")) of channel \(channel), which the config no longer has, moved to the dead letters")
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for channel in channels {
                    group.addTask { await loop(channel) }
                }
            }
        }
    }

    /// Delivers at once, outside the outbox, on every channel: for Warden's own problems when its database
    /// (where the outbox lives) cannot be written, and for alerts that could not be queued for that reason.
    /// Best effort: one attempt per channel, in order, at the channel's pace.
    public func sendDirect(_ events: [AlertEvent]) {
        guard !events.isEmpty else { return }
        for channel in channels {
            direct.send(events, on: channel, instance: settings.instance, logger: logger)
        }
    }

    private func loop(_ channel: AlertChannel) async {
        let (wakeups, wake) = store.doorbell.subscribe()
        wake.yield(())
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        var state = ChannelState()
        for await _ in wakeups {
            let due = await deliverDue(channel, &state)
            timer?.cancel()
            timer = nil
            if due.isFinite {
                let delay = max(0, due - clock.now())
                timer = Task { [clock] in
                    await clock.sleep(.seconds(double: delay))
                    if !Task.isCancelled { wake.yield(()) }
                }
            }
        }
    }

    /// What a channel's loop remembers between passes.
    struct ChannelState {
        var lastSent = -Double.infinity
        /// Delivered, but the acknowledgement could not be written: never sent again while Warden runs.
        var delivered: Set<Int64> = []
    }

    /// Delivers whatever is due; returns when the channel should be looked at next (`.infinity`: when rung).
    func deliverDue(_ channel: AlertChannel, _ state: inout ChannelState) async -> Double {
        while !Task.isCancelled {
            let pending: (rows: [OutboxRow], depth: Int, unreadable: [Int64])
            do {
                pending = try await store.pendingAlerts(channel: channel.name, limit: settings.maxBatch * 5)
            } catch {
                logger.error("cannot read the alert outbox", metadata: ["channel": "\(channel.name)", "error": "\(error)"])
                return clock.now() + 5
            }
            stats.depth(channel.name, pending.depth)
            let now = clock.now()
            if !pending.unreadable.isEmpty {
                guard await settle({ await $0.deadLetter(pending.unreadable, reason: "unreadable outbox row", at: now) }) else {
                    return now + 5
                }
                continue
            }
            if !state.delivered.isEmpty {
                // Acknowledgements that failed to be written: retry them before anything else is sent.
                let ids = Array(state.delivered)
                guard await settle({ await $0.acknowledge(ids) }) else { return now + 5 }
                state.delivered = []
                continue
            }
            guard let head = pending.rows.first else { return .infinity }
            if now - head.createdAt > settings.maxAge.seconds {
                let expired = pending.rows.filter { now - $0.createdAt > settings.maxAge.seconds }.map(\.id)
                let reason = "older than max_age (\(Units.formatDuration(settings.maxAge)))"
                guard await settle({ await $0.deadLetter(expired, reason: reason, at: now) }) else { return now + 5 }
                stats.count(channel.name, "failed", expired.count)
                logger.error("alerts expired undelivered; moved to the dead letters",
                             metadata: ["channel": "\(channel.name)", "count": "\(expired.count)", "last_error": "\(head.lastError ?? "none")"])
                continue
            }
            if head.nextAttemptAt > now { return head.nextAttemptAt }
            let batch: [OutboxRow]
            let batchID: String
            if let id = head.batch {
                // A retry: exactly the rows of the first attempt, under the same delivery id.
                batch = pending.rows.filter { $0.batch == id }
                batchID = id
            } else {
                let windowEnd = head.createdAt + settings.groupWindow.seconds
                if settings.groupWindow > .zero && now < windowEnd { return windowEnd }
                batch = settings.groupWindow > .zero
                    ? Array(pending.rows.prefix { $0.createdAt <= windowEnd && $0.batch == nil }.prefix(settings.maxBatch)) : [head]
                batchID = head.event.id + (batch.count > 1 ? "+\(batch.count - 1)" : "")
            }
            let interval = channel.notifier.minimumInterval.seconds
            if now < state.lastSent + interval { return state.lastSent + interval }
            let ids = batch.map(\.id)
            let result = await channel.notifier.deliver(AlertBatch(id: batchID, events: batch.map(\.event), instance: settings.instance))
            let finished = clock.now()
            state.lastSent = finished
            switch result {
            case .delivered:
                stats.delivered(channel.name, latencies: batch.map { max(0, finished - $0.createdAt) })
                stats.note(channel.name, batch.map(\.event), "delivered", at: finished)
                if await !settle({ await $0.acknowledge(ids) }) {
                    state.delivered.formUnion(ids)
                    return finished + 5
                }
            case .retry(let after, let reason):
                let delay = after ?? settings.backoff.delay(attempt: head.attempts, random: Double.random(in: 0..<1))
                stats.count(channel.name, "retried")
                if head.attempts == 0 {
                    logger.warning("alert delivery failed; retrying", metadata: ["channel": "\(channel.name)", "reason": "\(reason)"])
                }
                guard await settle({ await $0.reschedule(ids, at: finished + delay.seconds, error: reason, batch: batchID) }) else {
                    return finished + max(5, delay.seconds)
                }
                return finished + delay.seconds
            case .failed(let reason):
                logger.error("alert delivery failed for good; moved to the dead letters",
                             metadata: ["channel": "\(channel.name)", "count": "\(ids.count)", "reason": "\(reason)"])
                guard await settle({ await $0.deadLetter(ids, reason: reason, at: finished) }) else { return finished + 5 }
                stats.count(channel.name, "failed", ids.count)
                stats.note(channel.name, batch.map(\.event), "dead", at: finished)
            }
        }
        return .infinity
    }

    /// Runs a bookkeeping write outside this task: shutting down must not cancel the write that records a
    /// delivery already made (GRDB refuses writes from cancelled tasks), or it would be sent again.
    private func settle(_ write: @escaping @Sendable (WardenStore) async -> Bool) async -> Bool {
        let store = self.store
        return await Task { await write(store) }.value
    }
}

/// Direct deliveries, one ordered queue per channel so that they keep the channel's pace.
private final class DirectSender: Sendable {
    private let queues = Mutex<[String: Task<Void, Never>]>([:])

    func send(_ events: [AlertEvent], on channel: AlertChannel, instance: String?, logger: Logger) {
        queues.withLock { queues in
            let previous = queues[channel.name]
            queues[channel.name] = Task {
                await previous?.value
                let result = await channel.notifier.deliver(AlertBatch(id: events[0].id, events: events, instance: instance))
                if result != .delivered {
                    logger.error("could not deliver directly", metadata: ["channel": "\(channel.name)"])
                }
                try? await Task.sleep(for: channel.notifier.minimumInterval)
            }
        }
    }
}
