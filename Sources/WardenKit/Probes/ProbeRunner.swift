import Foundation
import Logging
import ServiceLifecycle

/// Runs every probe of every engine on its own interval and publishes each outcome to the status board.
/// One slow or failing probe never delays another: each has its own task.
///
/// All probes run on one grid: a probe's runs fall on whole multiples of its interval from the moment the
/// runner started, not one interval after its previous run ended. Probes with equal (or commensurate)
/// intervals therefore read at the same instants for as long as Warden runs. Checks compare values from two
/// probes (open positions from the database, monitored ones from the status endpoint); read half an interval
/// apart, a position that opens or closes in between reads as a monitor mismatch. Sleeping an interval after
/// each run let the probes drift apart by the difference of their run times, until after an hour they read at
/// any phase and the soak saw such false mismatches (docs/RELIABILITY.md).
public struct ProbeRunner: Service {
    let probes: [(engine: String, probe: any Probe)]
    let board: StatusBoard
    let logger: Logger
    /// Told the engine's name after each outcome is on the board (the health monitor's `freshInput(for:)`).
    let published: @Sendable (String) -> Void

    public init(probes: [(engine: String, probe: any Probe)], board: StatusBoard, logger: Logger,
                published: @escaping @Sendable (String) -> Void = { _ in }) {
        self.probes = probes
        self.board = board
        self.logger = logger
        self.published = published
    }

    public func run() async {
        let epoch = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            for (engine, probe) in probes {
                group.addTask { await loop(engine: engine, probe: probe, epoch: epoch) }
            }
        }
    }

    /// The first run time on `interval`'s grid from `epoch` that is later than `now`. A run that overran its
    /// interval skips the slots it missed rather than running them back to back.
    public static func nextRun(after now: ContinuousClock.Instant, epoch: ContinuousClock.Instant,
                               interval: Duration) -> ContinuousClock.Instant {
        guard interval > .zero, now >= epoch else { return max(now, epoch) }
        let next = epoch + interval * (Int(((now - epoch) / interval).rounded(.down)) + 1)
        return next > now ? next : next + interval
    }

    private func loop(engine: String, probe: any Probe, epoch: ContinuousClock.Instant) async {
        var lastFailure: String?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let outcome = await Self.runOnce(probe)
            board.update(engine) { $0.observations.probes[probe.name] = outcome.following($0.observations.probes[probe.name]) }
            published(engine)
            // Said once when it starts failing, again when the reason changes, and once on recovery: the
            // reason names the place (table, column, URL) and must reach a person, not only a 0 on /metrics.
            if outcome.failure != lastFailure {
                let metadata: Logger.Metadata = ["engine": "\(engine)", "probe": "\(probe.name)"]
                if let failure = outcome.failure {
                    logger.warning("probe failing: \(failure)", metadata: metadata)
                } else {
                    logger.info("probe recovered", metadata: metadata)
                }
                lastFailure = outcome.failure
            }
            let next = Self.nextRun(after: .now, epoch: epoch, interval: probe.interval)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(until: next, clock: .continuous) }
        }
    }

    /// Times one run; a failed run keeps no output.
    public static func runOnce(_ probe: any Probe) async -> ProbeOutcome {
        let started = ContinuousClock.now
        let result = await probe.run()
        let duration = (ContinuousClock.now - started).seconds
        let now = Date().timeIntervalSince1970
        switch result {
        case .success(let output):
            return ProbeOutcome(success: true, durationSeconds: duration, at: now, failure: nil, output: output)
        case .failure(let failure):
            return ProbeOutcome(success: false, durationSeconds: duration, at: now, failure: failure.description, output: .none)
        }
    }
}

/// Applies each engine's log rules to the lines it prints and publishes heartbeats and counters.
public struct LogWatcher: Service {
    let engine: String
    let rules: LogRuleSet
    let lines: AsyncStream<LogLine>
    let board: StatusBoard

    /// Subscribe before the engine starts, so that no early line escapes the rules.
    public init(engine: String, rules: LogRuleSet, broadcast: LogLineBroadcast, board: StatusBoard) {
        self.engine = engine
        self.rules = rules
        self.lines = broadcast.subscribe()
        self.board = board
        let initial = rules.initialState
        board.update(engine) { $0.observations.logs = initial }
    }

    public func run() async {
        await cancelWhenGracefulShutdown { await consume() }
    }

    private func consume() async {
        var state = rules.initialState
        for await line in lines {
            let before = state
            rules.apply(line, to: &state)
            if state != before {
                let snapshot = state
                board.update(engine) { $0.observations.logs = snapshot }
            }
        }
    }
}
