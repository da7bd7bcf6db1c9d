import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The dead-man's switch (`heartbeat:`): every `interval`, a ping to the URL while Warden's loops turn (the
/// evidence systemd's watchdog gets, `Liveness`) and every engine is at or below `max_level`; otherwise a ping
/// to the fail URL, or none when there is none. Silence is the signal when Warden itself is gone, frozen or
/// cut off: the monitor on the other end raises the alarm that Warden no longer can.
///
/// The URLs often hold the check's secret in their path: failures name the origin only, and a redirect is a
/// failed ping rather than followed. A failing streak is logged when it starts and when it ends, not per ping.
public struct DeadMansSwitch: Service {
    public struct Target: Sendable {
        public var url: URL
        /// nil: trouble is reported by silence alone.
        public var failURL: URL?
        public var interval: Duration
        public var method: String
        public var maxLevel: HealthLevel
        public var timeout: Duration
    }

    let target: Target
    let board: StatusBoard
    let liveness: Liveness
    let stats: HeartbeatStats
    let logger: Logger

    public init(target: Target, board: StatusBoard, liveness: Liveness, stats: HeartbeatStats, logger: Logger) {
        self.target = target
        self.board = board
        self.liveness = liveness
        self.stats = stats
        self.logger = logger
    }

    public func run() async {
        var reportedTrouble: String?
        var pingsFailing = false
        var next = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let trouble = self.trouble()
            if trouble != reportedTrouble {
                if let trouble {
                    logger.warning("heartbeat: reporting trouble to the monitor", metadata: [
                        "reason": "\(trouble)", "to": "\(target.failURL.map { $0.origin } ?? "nobody: pings stop")"])
                } else {
                    logger.notice("heartbeat: all well again; pinging the monitor's URL")
                }
                reportedTrouble = trouble
            }
            if let url = trouble == nil ? target.url : target.failURL {
                let failure = await ping(url)
                stats.note(ok: failure == nil, alive: trouble == nil, at: Date().timeIntervalSince1970)
                if let failure, !pingsFailing {
                    logger.warning("heartbeat ping failed; further failures in a row are counted, not logged",
                                   metadata: ["reason": "\(failure)"])
                } else if failure == nil, pingsFailing {
                    logger.notice("heartbeat pings get through again")
                }
                pingsFailing = failure != nil
            }
            // Loops that idle (a supervisor waiting on its engine) show they still turn by answering a nudge.
            liveness.nudgeAll()
            // A fixed cadence; after a pause longer than the interval (Warden was stopped), one ping at once
            // rather than a burst to catch up.
            next = max(next + target.interval, .now)
            let wake = next
            try? await cancelWhenGracefulShutdown { try await Task.sleep(until: wake, clock: .continuous) }
        }
    }

    /// Why Warden is not well, or nil.
    func trouble() -> String? {
        let stalled = liveness.stalled()
        if !stalled.isEmpty { return "loops stopped turning: \(stalled.joined(separator: ", "))" }
        let above = board.snapshot().filter { $0.health.level > target.maxLevel }
        guard !above.isEmpty else { return nil }
        return above.map { "engine \($0.name) is \($0.health.level.name)" }.joined(separator: ", ")
            + ", worse than max_level \(target.maxLevel.name)"
    }

    /// nil when the monitor answered 2xx; else why not, naming the URL's origin only.
    private func ping(_ url: URL) async -> String? {
        let fetch = CappedFetch(maxBytes: 64 * 1024, followsRedirects: false)
        let result = await fetch.send(target.method, url, headers: [:], body: target.method == "POST" ? Data() : nil,
                                      timeout: min(target.timeout, target.interval), shown: \.origin)
        switch result {
        case .failure(let failure):
            return failure.description
        case .success(let (status, _)):
            guard !(200..<300).contains(status) else { return nil }
            let note = (300..<400).contains(status) ? " (a redirect; heartbeat pings do not follow redirects)" : ""
            return "\(target.method) \(url.origin): HTTP \(status)\(note)"
        }
    }
}

/// The dead-man's switch's pings, for `/metrics`.
public final class HeartbeatStats: Sendable {
    struct Counts {
        var ok = 0
        var failed = 0
        /// When the monitor last took an all-is-well ping.
        var lastSuccess: Double?
    }

    private let counts = Mutex(Counts())

    public init() {}

    var snapshot: Counts { counts.withLock { $0 } }

    /// One ping: whether it got through, and whether it said all is well (rather than trouble).
    func note(ok: Bool, alive: Bool, at time: Double) {
        counts.withLock { counts in
            if ok { counts.ok += 1 } else { counts.failed += 1 }
            if ok && alive { counts.lastSuccess = time }
        }
    }
}
