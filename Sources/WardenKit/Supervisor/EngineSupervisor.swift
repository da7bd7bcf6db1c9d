import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs one engine: performs the effects that `EngineLifecycle` decides, feeds it the events the world
/// produces (spawns, exits, timers, requests), and publishes each resulting state to the status board.
public final class EngineSupervisor: Service, Sendable {
    public let name: String
    public let logLines: LogLineBroadcast
    private let board: StatusBoard
    private let history: WardenStore?
    /// Also guards the engine's helpers (`exec` actions), which must not outlive a killed Warden either.
    let orphanGuard: OrphanGuard?
    private let readers = OpenReaders()
    private let withheldEnvironment: Set<String>
    private let logger: Logger
    /// What the next spawn runs, and where its output goes; a reload replaces it.
    private struct SpawnSettings {
        var config: EngineConfig
        var environment: [String: String]
        var logFile: RotatingLogFile
    }

    private let spawnSettings: Mutex<SpawnSettings>
    /// What wakes the loop: an event for the lifecycle, or the watchdog's question whether the loop still turns.
    private enum Input: Sendable {
        case event(EngineLifecycle.Event)
        case checkIn
    }

    private let events: AsyncStream<Input>
    private let continuation: AsyncStream<Input>.Continuation
    private let liveness: Liveness?
    /// Who tells people of a restart after an unplanned exit.
    private let restartAlerts: RestartAlerts?
    /// The latest child until it is reaped, whatever the event loop has seen of it.
    private let unreapedSpawn = Mutex<Int32?>(nil)

    /// `withheldEnvironment` names variables of Warden's own environment the engine must not inherit (the
    /// admin token's variable: an engine, or any library it loads, could otherwise restart itself or log it).
    public init(config: EngineConfig, board: StatusBoard, history: WardenStore?, orphanGuard: OrphanGuard?,
                extraEnvironment: [String: String] = [:], withheldEnvironment: Set<String> = [], logger: Logger,
                liveness: Liveness? = nil, restartAlerts: RestartAlerts? = nil) {
        self.name = config.name
        self.restartAlerts = restartAlerts
        self.liveness = liveness
        self.board = board
        self.history = history
        self.orphanGuard = orphanGuard
        self.logger = logger
        self.withheldEnvironment = withheldEnvironment
        self.logLines = LogLineBroadcast()
        spawnSettings = Mutex(Self.spawnSettings(config, extraEnvironment: extraEnvironment, withheld: withheldEnvironment, logger: logger))
        (events, continuation) = AsyncStream.makeStream(of: Input.self)
    }

    private static func spawnSettings(_ config: EngineConfig, extraEnvironment: [String: String], withheld: Set<String>,
                                      logger: Logger) -> SpawnSettings {
        let name = config.name
        let logFile = RotatingLogFile(path: config.logs.file, maxBytes: config.logs.maxBytes, maxFiles: config.logs.maxFiles) {
            logger.error("engine log capture failing", metadata: ["engine": "\(name)", "error": "\($0)"])
        }
        var environment = config.inheritEnvironment ? ProcessInfo.processInfo.environment : [:]
        for name in withheld { environment.removeValue(forKey: name) }
        environment.merge(config.environment) { $1 }
        environment.merge(extraEnvironment) { $1 }
        environment["WARDEN_ENGINE"] = config.name
        return SpawnSettings(config: config, environment: environment, logFile: logFile)
    }

    /// The engine's settings as last loaded.
    public var config: EngineConfig { spawnSettings.withLock { $0.config } }

    /// Takes a reloaded config: its stop and restart settings hold at once; when `relaunch` (how the engine runs
    /// changed), the engine is restarted gracefully into the new command, directory, environment and log file.
    public func reconfigure(_ config: EngineConfig, extraEnvironment: [String: String], relaunch: Bool) {
        let next = Self.spawnSettings(config, extraEnvironment: extraEnvironment, withheld: withheldEnvironment, logger: logger)
        spawnSettings.withLock { current in
            // Until the restart, the running process's output keeps its file.
            current = SpawnSettings(config: config, environment: next.environment,
                             logFile: relaunch ? next.logFile : current.logFile)
        }
        continuation.yield(.event(.reconfigured(config.restart, config.stop)))
        if relaunch { continuation.yield(.event(.restartRequested(.config))) }
    }

    /// Stops the engine gracefully for good (it left the config); `run()` returns once it has exited.
    public func stop() {
        continuation.yield(.event(.stopRequested))
    }

    /// Asks for a graceful restart; the outcome shows on the status board.
    public func requestRestart(_ reason: RestartReason) {
        continuation.yield(.event(.restartRequested(reason)))
    }

    private var livenessName: String { "supervisor \(name)" }

    public func run() async {
        // The loop may wait for hours on a healthy engine: it answers the watchdog's nudges instead of ticking.
        liveness?.register(livenessName, nudge: { [continuation] in continuation.yield(.checkIn) })
        defer { liveness?.retire(livenessName) }
        let now = Date().timeIntervalSince1970
        let config = self.config
        let prior = await history?.restartTimes(engine: name, since: now - config.restart.budget.window.seconds) ?? []
        var lifecycle = EngineLifecycle(restart: config.restart, stop: config.stop, priorRestartTimes: prior)
        var timer: Task<Void, Never>?
        defer { timer?.cancel() }
        /// How the last run ended, when it was a failure: what a restart's message says.
        var failure: String?

        await withGracefulShutdownHandler {
            continuation.yield(.event(.startRequested))
            for await input in events {
                guard case .event(let event) = input else {
                    liveness?.beat(livenessName)
                    continue
                }
                let now = Date().timeIntervalSince1970
                let effects = lifecycle.handle(event, now: now, random: Double.random(in: 0..<1))
                var finished = false
                for effect in effects {
                    switch effect {
                    case .spawn:
                        spawn()
                    case .signalGroup(let pgid, let signal):
                        kill(-pgid, signal.number)
                    case .startTimer(let id, let delay):
                        timer?.cancel()
                        timer = Task { [continuation] in
                            guard (try? await Task.sleep(for: delay)) != nil else { return }
                            continuation.yield(.event(.timerFired(id: id)))
                        }
                    case .cancelTimer:
                        timer?.cancel()
                        timer = nil
                    case .record(let record):
                        await note(record, at: now)
                        await tell(record, lifecycle, failure: &failure, at: now)
                    case .finished:
                        finished = true
                    }
                }
                if case .exited(let pid, _) = event { orphanGuard?.unregister(pgid: pid) }
                publish(lifecycle, event: event)
                if finished { break }
            }
        } onGracefulShutdown: { [continuation] in
            continuation.yield(.event(.stopRequested))
        }
        // Cancelled rather than shut down gracefully (a sibling service failed): never leave the engine behind,
        // including one spawned whose `spawned` event the cancelled loop never read.
        for pid in Set([lifecycle.state.pid, unreapedSpawn.withLock { $0 }].compactMap { $0 }) {
            kill(-pid, SIGKILL)
            orphanGuard?.unregister(pgid: pid)
        }
        // The engine's last lines ("shutting down", a stack trace) belong in its log before Warden exits.
        await readers.drained(timeout: .seconds(2))
    }

    private func spawn() {
        let (config, environment, logFile) = spawnSettings.withLock { ($0.config, $0.environment, $0.logFile) }
        guard case .command(let argv, let executable) = config.launch else {
            // The fleet gives attached engines to `AttachedEngine`, and a reload keeps how an engine runs.
            continuation.yield(.event(.spawnFailed(message: "engine \(config.name) is attached: its own supervisor starts it")))
            return
        }
        do {
            let process = try ProcessSpawner.spawn(
                executable: executable, arguments: argv,
                environment: environment, workingDirectory: config.workingDirectory, guardedBy: orphanGuard)
            unreapedSpawn.withLock { $0 = process.pid }
            let capture = LogCapture(engine: config.name, file: logFile, broadcast: logLines, readers: readers)
            capture.start(fd: process.stdout, stream: .stdout)
            capture.start(fd: process.stderr, stream: .stderr)
            // `spawned` is queued before the waiter exists, so it always precedes the matching `exited`.
            continuation.yield(.event(.spawned(pid: process.pid)))
            ChildWaiter.watch(pid: process.pid) { [continuation, self] status in
                self.unreapedSpawn.withLock { if $0 == process.pid { $0 = nil } }
                continuation.yield(.event(.exited(pid: process.pid, status: status)))
            }
        } catch {
            continuation.yield(.event(.spawnFailed(message: error.description)))
        }
    }

    private func publish(_ lifecycle: EngineLifecycle, event: EngineLifecycle.Event) {
        board.update(name) { status in
            status.state = lifecycle.state
            status.attempt = lifecycle.attempt
            status.restartCounts = lifecycle.restartCounts
            status.ledger = lifecycle.ledger
            status.lastExit = lifecycle.lastExit
            // A stopped engine holds no connection: say nothing rather than the last count.
            if lifecycle.state.pid == nil { status.observations.connections = [:] }
            switch event {
            case .spawned: status.lastStartError = nil
            case .spawnFailed(let message): status.lastStartError = message
            default: break
            }
        }
        switch event {
        case .spawned, .spawnFailed: board.markStartAttempted(name)
        default: break
        }
        board.announce(name)
    }

    /// A restart after an unplanned exit, as people hear of it. A clean exit (one of `stop.clean_exit_codes`) was
    /// a stop on purpose, and a planned stop is followed by no `restartScheduled`: neither is told.
    private func tell(_ record: LifecycleRecord, _ lifecycle: EngineLifecycle, failure: inout String?, at now: Double) async {
        switch record {
        case .exited(_, let status, let ranFor, let clean):
            failure = clean ? nil : "\(status) after \(Units.formatDuration(.seconds(double: ranFor)))"
        case .spawnFailed(let message):
            failure = "could not be started: \(message)"
        case .restartScheduled(_, let delay, _):
            guard let failure else { return }
            await restartAlerts?.restarting(name, failure: failure, delay: delay, budgetLeft: lifecycle.budgetRemaining(now: now),
                                            budget: lifecycle.restart.budget, at: now)
        default:
            break
        }
    }

    private func note(_ record: LifecycleRecord, at time: Double) async {
        let config = self.config
        var metadata: Logger.Metadata = ["engine": "\(name)"]
        switch record {
        case .started(let pid, let reason):
            metadata["pid"] = "\(pid)"
            if let reason { metadata["reason"] = "\(reason.rawValue)" }
            logger.info("engine started", metadata: metadata)
        case .spawnFailed(let message):
            metadata["error"] = "\(message)"
            logger.error("engine could not be started", metadata: metadata)
        case .exited(let pid, let status, let ranFor, let clean):
            metadata["pid"] = "\(pid)"
            metadata["status"] = "\(status)"
            metadata["ran_for"] = "\(Units.formatDuration(.seconds(double: ranFor)))"
            if clean { logger.info("engine stopped cleanly", metadata: metadata) } else { logger.warning("engine exited", metadata: metadata) }
        case .restartScheduled(let reason, let delay, let attempt):
            metadata["reason"] = "\(reason.rawValue)"
            metadata["delay"] = "\(Units.formatDuration(.seconds(double: delay)))"
            metadata["attempt"] = "\(attempt + 1)"
            logger.info("engine restart scheduled", metadata: metadata)
        case .killedAfterGrace(let pid):
            metadata["pid"] = "\(pid)"
            metadata["grace_period"] = "\(Units.formatDuration(config.stop.gracePeriod))"
            logger.warning("engine did not stop within its grace period; killing its process group", metadata: metadata)
        case .gaveUp(let restarts):
            metadata["restarts_in_window"] = "\(restarts)"
            metadata["window"] = "\(Units.formatDuration(config.restart.budget.window))"
            logger.critical("restart budget spent: Warden stops restarting this engine; a human is needed", metadata: metadata)
        case .budgetReset:
            logger.notice("engine restarted by hand after Warden gave up; restart budget reset", metadata: metadata)
        }
        await history?.append(engine: name, record: record, at: time)
    }
}
