import Synchronization

/// The loops Warden's own liveness rests on: every engine's supervisor, judge and probes. Each beats after every
/// turn. A loop with a period is stalled when its last beat is older than twice its period plus a grace: a judge
/// that ticks every 10 s and has not turned for 25 s is stuck, whatever systemd's watchdog interval. A loop that
/// may idle for good (a supervisor waiting for its engine to exit) is nudged instead (`nudgeAll`), and stalled
/// when a nudge stays unanswered for longer than the grace.
public final class Liveness: Sendable {
    private struct Loop {
        var period: Duration?
        var lastBeat: ContinuousClock.Instant
        var nudge: (@Sendable () -> Void)?
        /// The oldest nudge not yet answered by a beat.
        var unansweredSince: ContinuousClock.Instant?
    }

    /// Slack beyond two periods, and for a nudge's answer: a loop busy with a slow probe or a long database
    /// write is not stuck.
    static let grace: Duration = .seconds(5)
    private let loops = Mutex<[String: Loop]>([:])

    public init() {}

    /// Starts watching a loop that turns at least every `period`, or whenever `nudge` asks it to.
    public func register(_ name: String, period: Duration? = nil, nudge: (@Sendable () -> Void)? = nil) {
        loops.withLock { $0[name] = Loop(period: period, lastBeat: .now, nudge: nudge) }
    }

    public func beat(_ name: String) {
        loops.withLock { loops in
            loops[name]?.lastBeat = .now
            loops[name]?.unansweredSince = nil
        }
    }

    /// A loop that has ended for good (its engine was stopped with Warden) is no longer watched.
    public func retire(_ name: String) {
        _ = loops.withLock { $0.removeValue(forKey: name) }
    }

    /// Asks every loop that takes nudges to turn once.
    public func nudgeAll(at now: ContinuousClock.Instant = .now) {
        let nudges = loops.withLock { loops in
            loops.keys.compactMap { name -> (@Sendable () -> Void)? in
                guard let nudge = loops[name]?.nudge else { return nil }
                if loops[name]?.unansweredSince == nil { loops[name]?.unansweredSince = now }
                return nudge
            }
        }
        for nudge in nudges { nudge() }
    }

    /// The loops that have not turned in time, sorted by name.
    public func stalled(at now: ContinuousClock.Instant = .now) -> [String] {
        loops.withLock { loops in
            loops.filter { _, loop in
                if let period = loop.period, now - loop.lastBeat > period * 2 + Self.grace { return true }
                if let since = loop.unansweredSince, now - since > Self.grace { return true }
                return false
            }.keys.sorted()
        }
    }
}
