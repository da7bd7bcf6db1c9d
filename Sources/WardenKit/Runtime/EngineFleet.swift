import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Every engine's supervisor as one `Service`, with what belongs to the engine's process for as long as it
/// runs: the token its pushed reports carry (it learnt it from its environment), the log watcher reading
/// its output and the follower of the log file it writes itself. A reload adds, reconfigures and removes
/// engines here while the fleet runs.
///
/// ServiceGroup shuts its services down one after another, waiting for each. Engines must stop together, so
/// that Warden's shutdown takes the longest grace period rather than their sum (which would outlast
/// systemd's `TimeoutStopSec` and end in SIGKILL). Graceful shutdown reaches each supervisor here at once,
/// because child tasks inherit the shutdown context.
public final class EngineFleet: Service, Sendable {
    /// One engine: its supervisor, the intake of its reports, its log watcher's and log follower's tasks.
    private struct Unit {
        var supervisor: any EngineRunner
        var reportToken: String?
        var report: WardenHTTP.ReportIntake?
        var logRules: [LogRule]
        var logWatcher: Task<Void, Never>?
        var logFollower: Task<Void, Never>?
        /// The supervisor's `run()` has returned (or never will: the fleet has stopped).
        var finished = false
        /// Who waits for that.
        var waiters: [CheckedContinuation<Void, Never>] = []

        /// The engine is gone, or the fleet has stopped: nothing reads its lines any more.
        func stopReadingLogs() {
            logWatcher?.cancel()
            logFollower?.cancel()
        }
    }

    private let board: StatusBoard
    private let store: WardenStore?
    private let orphanGuard: OrphanGuard?
    private let withheldEnvironment: Set<String>
    /// How an engine reaches Warden's HTTP server (`http://host:port`, or https with `web.tls`), for the report URL in
    /// its environment.
    private let reachableAt: String
    private let logger: Logger
    private let liveness: Liveness?
    private let restartAlerts: RestartAlerts?
    private let units = Mutex<[String: Unit]>([:])
    /// Supervisors to run, handed to the running fleet; finished when it shuts down.
    private let starts: AsyncStream<any EngineRunner>
    private let startsContinuation: AsyncStream<any EngineRunner>.Continuation

    public init(board: StatusBoard, store: WardenStore?, orphanGuard: OrphanGuard?, withheldEnvironment: Set<String>,
                reachableAt: String, logger: Logger, liveness: Liveness?, restartAlerts: RestartAlerts? = nil) {
        self.restartAlerts = restartAlerts
        self.board = board
        self.store = store
        self.orphanGuard = orphanGuard
        self.withheldEnvironment = withheldEnvironment
        self.reachableAt = reachableAt
        self.logger = logger
        self.liveness = liveness
        (starts, startsContinuation) = AsyncStream.makeStream(of: (any EngineRunner).self)
    }

    public func supervisor(named name: String) -> (any EngineRunner)? { units.withLock { $0[name]?.supervisor } }

    public var supervisors: [any EngineRunner] { units.withLock { $0.values.map(\.supervisor) } }

    func reportIntake(named name: String) -> WardenHTTP.ReportIntake? { units.withLock { $0[name]?.report } }

    /// Adds an engine (on the board already) and starts it once the fleet runs. Its log watcher subscribes
    /// before the engine starts, so that no early line escapes the rules.
    public func add(_ engine: EngineConfig) throws {
        let rules = try Self.compiled(engine.watch.logRules)
        // A fresh token per engine process: the engine learns it from its environment, nobody else needs it.
        let token = engine.watch.report.map { _ in Self.newToken() }
        // Another supervisor runs an attached engine: Warden finds and watches it, and never owns its process.
        let supervisor: any EngineRunner = engine.attachment != nil
            ? AttachedEngine(config: engine, board: board, history: store, logger: logger)
            : EngineSupervisor(config: engine, board: board, history: store, orphanGuard: orphanGuard,
                               extraEnvironment: reportEnvironment(engine, token: token),
                               withheldEnvironment: withheldEnvironment, logger: logger, liveness: liveness,
                               restartAlerts: restartAlerts)
        if engine.watch.report != nil {
            // Until the first report arrives, the report probe exists and reads as failed.
            let waiting = ProbeOutcome(success: false, durationSeconds: 0, at: Date().timeIntervalSince1970,
                                       failure: "no report received yet", output: .none).following(nil)
            board.update(engine.name) { $0.observations.probes[PushedReport.probeName] = waiting }
        }
        let unit = Unit(supervisor: supervisor, reportToken: token, report: intake(engine, token: token),
                        logRules: engine.watch.logRules, logWatcher: rules.map { watch(engine.name, $0, supervisor) },
                        logFollower: follow(engine, supervisor))
        units.withLock { $0[engine.name] = unit }
        startsContinuation.yield(supervisor)
    }

    /// Gives a running engine its reloaded settings. `relaunch`: how it runs changed, and it restarts into them.
    /// Log rules that changed start their counts afresh; unchanged ones keep counting.
    func reconfigure(_ engine: EngineConfig, relaunch: Bool) throws {
        // Compiled only when they changed: a reload of many engines does not compile every pattern again.
        let changed = units.withLock { $0[engine.name]?.logRules } != engine.watch.logRules
        let rules = changed ? try Self.compiled(engine.watch.logRules) : nil
        units.withLock { units in
            guard var unit = units[engine.name] else { return }
            if relaunch {
                unit.reportToken = engine.watch.report.map { _ in unit.reportToken ?? Self.newToken() }
            }
            unit.report = intake(engine, token: unit.reportToken)
            if changed {
                unit.logWatcher?.cancel()
                unit.logWatcher = rules.map { watch(engine.name, $0, unit.supervisor) }
                unit.logRules = engine.watch.logRules
                if rules == nil { board.update(engine.name) { $0.observations.logs = .init() } }
            }
            // A new watcher, or another file: followed afresh, from the file's end. The supervisor still holds the
            // settings before this reload.
            if changed || unit.supervisor.config.logs.follow != engine.logs.follow {
                unit.logFollower?.cancel()
                unit.logFollower = follow(engine, unit.supervisor)
            }
            unit.supervisor.reconfigure(engine, extraEnvironment: reportEnvironment(engine, token: unit.reportToken),
                                        relaunch: relaunch)
            units[engine.name] = unit
        }
    }

    /// Stops an engine gracefully and forgets it once it has exited.
    func remove(_ name: String) async {
        await withCheckedContinuation { continuation in
            let supervisor = units.withLock { units -> (any EngineRunner)? in
                guard var unit = units[name], !unit.finished else { return nil }
                unit.waiters.append(continuation)
                units[name] = unit
                return unit.supervisor
            }
            guard let supervisor else { return continuation.resume() }
            supervisor.stop()
        }
        units.withLock { $0.removeValue(forKey: name) }?.stopReadingLogs()
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                for await supervisor in starts {
                    group.addTask { [self] in
                        // Neither kind of engine throws; a Service's run() may.
                        try? await supervisor.run()
                        finished { $0.supervisor === supervisor }
                    }
                }
            } onGracefulShutdown: { [startsContinuation] in
                // The supervisors already running hear the shutdown themselves; nothing new starts.
                startsContinuation.finish()
            }
        }
        // Whatever was added as the fleet stopped never runs: nobody may wait for it.
        finished { _ in true }
        for unit in units.withLock({ Array($0.values) }) { unit.stopReadingLogs() }
    }

    /// Marks the units `which` picks as finished and tells whoever waits for them.
    private func finished(_ which: (Unit) -> Bool) {
        let waiters = units.withLock { units in
            var waiters: [CheckedContinuation<Void, Never>] = []
            for (name, var unit) in units where which(unit) {
                unit.finished = true
                waiters += unit.waiters
                unit.waiters = []
                units[name] = unit
            }
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private static func compiled(_ rules: [LogRule]) throws -> LogRuleSet? {
        rules.isEmpty ? nil : try LogRuleSet(rules)
    }

    private static func newToken() -> String {
        (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
    }

    private func reportEnvironment(_ engine: EngineConfig, token: String?) -> [String: String] {
        guard let token else { return [:] }
        return ["WARDEN_REPORT_URL": "\(reachableAt)/api/v1/engines/\(engine.name)/report", "WARDEN_REPORT_TOKEN": token]
    }

    private func intake(_ engine: EngineConfig, token: String?) -> WardenHTTP.ReportIntake? {
        guard let report = engine.watch.report, let token else { return nil }
        return .init(token: token, maxBodyBytes: report.maxBodyBytes, maxAge: report.maxAge, timestamps: engine.watch.timestamps)
    }

    private func watch(_ engine: String, _ rules: LogRuleSet, _ supervisor: any EngineRunner) -> Task<Void, Never> {
        let watcher = LogWatcher(engine: engine, rules: rules, broadcast: supervisor.logLines, board: board)
        return Task { await watcher.run() }
    }

    /// Follows the engine's `logs.follow` file into its line stream, when it has rules to read it with.
    private func follow(_ engine: EngineConfig, _ supervisor: any EngineRunner) -> Task<Void, Never>? {
        guard let path = engine.logs.follow, !engine.watch.logRules.isEmpty else { return nil }
        let lines = supervisor.logLines
        return Task { [name = engine.name, logger] in
            await LogFollower.follow(path, engine: name, publish: { lines.publish($0) }, logger: logger)
        }
    }
}
