import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// An engine another supervisor runs (systemd, supervisord, pm2, a container). Warden finds its main process
/// (by pidfile or by command line) every `attach.interval` and watches it as it watches a child: resources,
/// connections, probes, checks and health. A new main pid that Warden did not ask for is an external restart.
/// Warden restarts it only through the engine's `control.restart` command, within the same restart budget,
/// and never signals it on its own exit: the engine is not Warden's to stop.
public final class AttachedEngine: EngineRunner {
    public let name: String
    /// Lines of an attached engine reach the log rules only from its followed log file (`logs.follow`); none are
    /// captured.
    public let logLines = LogLineBroadcast()
    private let board: StatusBoard
    private let history: WardenStore?
    private let logger: Logger
    private let settings: Mutex<EngineConfig>

    private enum Request: Sendable {
        case look
        case restart(RestartReason)
        case stop
    }

    private let requests: AsyncStream<Request>
    private let continuation: AsyncStream<Request>.Continuation

    /// What Warden knows of the process between looks.
    private struct Watch {
        var pid: Int32?
        var since: Double
        var restartCounts: [RestartReason: Int] = [:]
        var ledger: BudgetLedger
        /// A restart Warden asked for: the next new main pid is its, not another supervisor's, until `until`.
        var pending: (reason: RestartReason, until: Double)?
        var lastStartError: String?
        /// Found once since Warden started: its first sighting is not a restart.
        var seen = false
        /// How the process is found, made once per attach setting: a pattern is not compiled at every look.
        var finder: Finder?
    }

    public init(config: EngineConfig, board: StatusBoard, history: WardenStore?, logger: Logger) {
        name = config.name
        self.board = board
        self.history = history
        self.logger = logger
        settings = Mutex(config)
        (requests, continuation) = AsyncStream.makeStream(of: Request.self)
    }

    public var config: EngineConfig { settings.withLock { $0 } }

    public func reconfigure(_ config: EngineConfig, extraEnvironment: [String: String], relaunch: Bool) {
        settings.withLock { $0 = config }
        continuation.yield(.look)
    }

    public func stop() { continuation.yield(.stop) }

    public func requestRestart(_ reason: RestartReason) { continuation.yield(.restart(reason)) }

    public func run() async {
        let config = self.config
        let now = Date().timeIntervalSince1970
        let prior = await history?.restartTimes(engine: name, since: now - config.restart.budget.window.seconds) ?? []
        var watch = Watch(since: now, ledger: BudgetLedger(budget: config.restart.budget, times: prior))
        let ticker = Task { [continuation, self] in
            while !Task.isCancelled {
                continuation.yield(.look)
                let interval = self.config.attachment?.interval ?? .seconds(1)
                try? await Task.sleep(for: interval)
            }
        }
        defer { ticker.cancel() }
        board.markStartAttempted(name)
        await withGracefulShutdownHandler {
            for await request in requests {
                switch request {
                case .look:
                    await look(&watch)
                case .restart(let reason):
                    await restart(reason, &watch)
                case .stop:
                    return
                }
            }
        } onGracefulShutdown: { [continuation] in
            continuation.yield(.stop)
        }
    }

    /// Finds the main process now, and tells the board what changed.
    private func look(_ watch: inout Watch) async {
        guard let attachment = config.attachment else { return }
        let now = Date().timeIntervalSince1970
        let state: EngineState
        if watch.finder?.target != attachment.target { watch.finder = Finder(attachment.target) }
        switch watch.finder?.find() {
        case nil:
            state = .remote(since: watch.since)
        case .process(let pid)?:
            if pid != watch.pid {
                // The first sight of the engine is no restart; a new main pid later is, Warden's own (asked for
                // and come within the control timeout) or another supervisor's.
                var reason: RestartReason?
                if watch.seen {
                    let ours = watch.pending.flatMap { now <= $0.until ? $0.reason : nil }
                    reason = ours ?? .external
                    watch.restartCounts[reason!, default: 0] += 1
                    watch.pending = nil
                }
                await note(.started(pid: pid, reason: reason), at: now)
                watch.seen = true
                watch.pid = pid
                watch.since = now
            }
            watch.lastStartError = nil
            state = .running(pid: pid, since: watch.since)
        case .absent(let reason)?:
            if watch.pid != nil { watch.since = now }
            watch.pid = nil
            watch.lastStartError = reason
            if case .absent(let since, _) = board.status(of: name)?.state {
                state = .absent(since: since, reason: reason)
            } else {
                state = .absent(since: now, reason: reason)
            }
        }
        let shown = StatusDocument.Attachment(how: attachment.how, restartedBy: attachment.restartedBy)
        board.update(name) { status in
            status.attachment = shown
            status.state = state
            status.restartCounts = watch.restartCounts
            status.ledger = watch.ledger
            status.lastStartError = watch.lastStartError
            if state.pid == nil { status.observations.connections = [:] }
        }
        board.announce(name)
    }

    /// Runs the restart's control commands (`control.restart`, or `stop` then `start`) within `control.timeout`
    /// in all; the restart has worked when a new main pid shows within that time, which the remediation's restart
    /// action waits for.
    private func restart(_ reason: RestartReason, _ watch: inout Watch) async {
        let config = self.config
        guard let attachment = config.attachment, let sequence = attachment.restartSequence else {
            logger.error("attached engine has no control to restart it with; not restarted", metadata: ["engine": "\(name)"])
            return
        }
        let now = Date().timeIntervalSince1970
        if reason.isAutomatic { watch.ledger.record(now: now) }
        let deadline = now + attachment.controlTimeout.seconds
        watch.pending = (reason, deadline)
        await history?.append(engine: name, record: .restartScheduled(reason: reason, delay: 0, attempt: 0), at: now)
        let environment = ProcessInfo.processInfo.environment.merging(["WARDEN_ENGINE": name]) { $1 }
        for argv in sequence {
            let left = max(deadline - Date().timeIntervalSince1970, 0.1)
            let command = ExecAction(command: argv, executable: argv[0], workingDirectory: config.workingDirectory,
                                     timeout: .milliseconds(Int64(left * 1000)))
            let outcome = await command.run(environment: environment, orphanGuard: nil)
            let metadata: Logger.Metadata = ["engine": "\(name)", "command": "\(argv.joined(separator: " "))",
                                             "reason": "\(reason.rawValue)", "result": "\(outcome.detail)"]
            guard outcome.result == .success else {
                logger.error("attached engine's control command failed; the restart stops here", metadata: metadata)
                break
            }
            logger.info("attached engine's control command ran", metadata: metadata)
        }
        board.update(name) { $0.ledger = watch.ledger }
        await look(&watch)
    }

    private func note(_ record: LifecycleRecord, at time: Double) async {
        if case .started(let pid, let reason) = record {
            var metadata: Logger.Metadata = ["engine": "\(name)", "pid": "\(pid)"]
            if let reason { metadata["reason"] = "\(reason.rawValue)" }
            logger.info(reason == nil ? "attached engine found" : "attached engine has a new main process", metadata: metadata)
        }
        await history?.append(engine: name, record: record, at: time)
    }

    /// Finds the main process for one `attach` setting.
    struct Finder {
        let target: ConfigFile.Attach.Target
        private let pattern: Result<LinePattern, ProbeFailure>?

        init(_ target: ConfigFile.Attach.Target) {
            self.target = target
            if case .process(let match, _) = target {
                pattern = Result { () throws(ProbeFailure) in try LinePattern(match) }
            } else {
                pattern = nil
            }
        }

        /// The main process now; nil for an engine attached with `none`.
        func find() -> AttachedProcess.Found? {
            switch target {
            case .pidfile(let path):
                return AttachedProcess.fromPidfile(path)
            case .process(_, let user):
                guard case .success(let pattern)? = pattern else { return .absent("the pattern does not compile") }
                var uid: UInt32?
                if let user {
                    // Looked up at every look: a user created after Warden started is found.
                    guard let found = Self.uid(of: user) else { return .absent("no user \(user) on this host") }
                    uid = found
                }
                return AttachedProcess.choose(AttachedProcess.candidates(), matching: pattern, uid: uid, own: getpid())
            case .none:
                return nil
            }
        }

        /// getpwnam_r: engines are looked for on several threads at once, and getpwnam's answer is shared.
        private static func uid(of user: String) -> UInt32? {
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 16 * 1024)
            guard getpwnam_r(user, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.pw_uid
        }
    }
}
