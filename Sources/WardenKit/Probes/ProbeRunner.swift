import Foundation
import Logging
import ServiceLifecycle

/// Runs every probe of every engine on its own interval and publishes each outcome to the status board.
/// One slow or failing probe never delays another: each has its own task.
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
        await withDiscardingTaskGroup { group in
            for (engine, probe) in probes {
                group.addTask { await loop(engine: engine, probe: probe) }
            }
        }
    }

    private func loop(engine: String, probe: any Probe) async {
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
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: probe.interval) }
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
