import CWardenSys
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

/// Which Warden this is. The version is written here and nowhere else (`scripts/package` asks the built binary);
/// the revision and build date are given to the compiler by `scripts/package`, and read "unknown" in a build that
/// did not give them.
public enum WardenVersion {
    public static let current = "0.1.0"
    public static let revision = String(cString: warden_build_revision())
    public static let buildDate = String(cString: warden_build_date())
    /// What `warden version` prints: `warden 0.1.0 (revision 1a2b3c4, built 2026-12-06T12:00:00Z)`.
    public static var description: String { "warden \(current) (revision \(revision), built \(buildDate))" }
}

/// Assembles Warden from a validated config and runs it. `run()` reads as the list of what Warden is: the
/// process set up, secrets and the store opened, the engines and what watches them built, then one
/// `ServiceGroup` of services in dependency order. SIGTERM or SIGINT stops them in reverse order (observers,
/// then every engine together and gracefully, then the HTTP server, which answers while the engines stop) and
/// `run()` returns.
///
/// What lives as long as Warden runs (the store, the board, the engines' supervisors, the remediator, the HTTP
/// server) is built once. What a reload replaces is built from a config by `watching(_:)` and `alerting(_:)`:
/// the probes, the sampler and the judges, and the alert channels with their dispatcher (see `reload`).
public struct WardenAgent: Sendable {
    public let config: WardenConfig
    public let logger: Logger
    /// The file the config was read from, and its model: what SIGHUP and `POST /-/reload` read again. None: the
    /// config was built in memory, and a reload has nothing to read.
    public var source: (file: String, model: ConfigFile)?
    /// Called with the bound address once the HTTP server listens (the port is known even for port 0).
    public var onListening: @Sendable (String, Int) -> Void = { _, _ in }

    public init(config: WardenConfig, logger: Logger, source: (file: String, model: ConfigFile)? = nil) {
        self.config = config
        self.logger = logger
        self.source = source
    }

    public func run() async throws {
        Self.prepareProcess()
        ConfigReloader.logWarnings(of: config, logger: logger)
        let adminToken = try readAdminToken()
        let tls = try makeTLSConfiguration()
        let heartbeat = try makeHeartbeatTarget()
        let storage = try openStore()
        let store = storage.store
        let board = StatusBoard(engines: config.engines)
        let liveness = Liveness()
        // Both told their channels below, before any engine runs.
        let maintenance = MaintenanceDesk(board: board, store: store)
        await maintenance.restore()
        let restartAlerts = RestartAlerts(settings: config.alerts.restarts, router: AlertRouter(channels: []), store: store,
                                          maintenance: maintenance)
        let fleet = EngineFleet(board: board, store: store, orphanGuard: try OrphanGuard(logger: logger),
                                withheldEnvironment: withheldEnvironment, reachableAt: "\(config.web.tls == nil ? "http" : "https")://\(config.listen.reachable)",
                                logger: logger, liveness: liveness, restartAlerts: restartAlerts)
        for engine in config.engines { try fleet.add(engine) }
        let deadMansSwitch = heartbeat.map {
            DeadMansSwitch(target: $0, board: board, liveness: liveness, stats: HeartbeatStats(), logger: logger)
        }
        await markInterruptedActions(store)
        let priorActions = await Self.readRemediationHistory(store, config)
        let stats = AlertStats(channels: config.alerts.channels.map(\.name))
        let parts = Parts(board: board, store: store, fleet: fleet, liveness: liveness, stats: stats, maintenance: maintenance,
                          logger: logger)
        let alerting = try parts.alerting(config)
        restartAlerts.reconfigure(config.alerts.restarts, router: alerting.router)
        maintenance.reconfigure(router: alerting.router)
        let remediator = Remediator(board: board, store: store, supervisor: fleet.supervisor(named:),
                                    settings: config.remediation, environment: helperEnvironment(), logger: logger,
                                    priorActions: priorActions.map(\.at), router: alerting.router)
        if config.remediation.dryRun {
            logger.notice("remediation runs dry: actions are logged and audited, none is taken")
        }
        if config.engines.isEmpty {
            logger.notice("no engines in the config: Warden serves its status and metrics and watches nothing until one is added and the config reloaded")
        }
        let watching = parts.watching(config, remediator: remediator, priorActions: priorActions, rewatched: [])
        let current = Running(Current(config: config, alerting: alerting, receiver: watching.receiver))
        watchDispatcherProblems(store, storeProblem: storage.problem) { current.withLock { $0.alerting.dispatcher } }
        let watchServices = ReplaceableServices(watching.services, logger: Self.quiet(logger))
        let alertServices = ReplaceableServices([alerting.dispatcher], logger: Self.quiet(logger))

        let reloads = ReloadRecord(loadedAt: Date().timeIntervalSince1970)
        let reloader = source.map { source in
            ConfigReloader(file: source.file, running: source.model, record: reloads, logger: logger, apply: { change, next in
                try await reload(change, to: next, parts: parts, current: current, remediator: remediator,
                                 restartAlerts: restartAlerts, watch: watchServices, alert: alertServices)
            }, alert: { event in
                let router = current.withLock { $0.alerting.router }
                Task { await store.enqueue(router.route([event]), at: event.at) }
            })
        }
        let metrics = WardenMetrics(version: WardenVersion.current, instance: config.instance, board: board, store: store, system: parts.system,
                                    actionKinds: { current.withLock { $0.config.actionKinds } }, alertStats: stats,
                                    reloads: reloads, heartbeatStats: deadMansSwitch?.stats)
        var roster = WardenHTTP.Roster(
            supervisor: { fleet.supervisor(named: $0) }, reportIntake: { fleet.reportIntake(named: $0) },
            alertmanager: { current.withLock { $0.receiver } }, router: { current.withLock { $0.alerting.router } },
            evaluator: { name in
                current.withLock { $0.config.engines.first { $0.name == name } }
                    .map { HealthEvaluator(settings: $0.health, watch: $0.watch) }
            })
        if let reloader {
            roster.reload = { await reloader.reload() }
        }
        let http = WardenHTTP(version: WardenVersion.current, instance: config.instance, board: board, metrics: metrics, roster: roster,
                              auth: AdminAuth(token: adminToken), basicAuth: BasicAuthenticator(users: config.web.basicAuthUsers),
                              maintenance: maintenance, alerts: .init(store: store, stats: stats),
                              published: board.announce)

        // The observers may have nothing to do (no probes); their ending is no reason to stop Warden.
        let observers: [any Service] = [
            watchServices,
            alertServices,
        ] + [deadMansSwitch].compactMap { $0 } + [
            SignalHandler(logger: logger) { [logger] in
                guard let reloader else {
                    logger.notice("SIGHUP received: this Warden was not started from a config file, so there is nothing to reload")
                    return
                }
                _ = await reloader.reload()
            },
            // Last, so that it is the first told of a shutdown: systemd hears STOPPING=1 before anything stops.
            SystemdNotifier(environment: ProcessInfo.processInfo.environment, liveness: liveness, logger: logger,
                            ready: { board.allStartsAttempted }),
        ]
        try await runServices(
            [.init(service: try makeServer(http, tls: tls)), .init(service: fleet)]
                + observers.map { .init(service: $0, successTerminationBehavior: .ignore) })

        if let fallback = storage.fallback {
            // Its contents were only ever this run's (the problem said so when it started): nothing to keep.
            try? FileManager.default.removeItem(atPath: fallback)
            logger.info("removed the temporary database \(fallback)")
        }
        logger.info("warden stopped")
    }

    /// What Warden runs with now, as the handlers and the reload see it.
    private struct Current: Sendable {
        var config: WardenConfig
        var alerting: Alerting
        var receiver: AlertmanagerReceiver?
    }

    private final class Running: Sendable {
        private let current: Mutex<Current>
        init(_ current: Current) { self.current = Mutex(current) }
        func withLock<T: Sendable>(_ body: (inout Current) -> T) -> T { current.withLock { body(&$0) } }
    }

    /// Applies a validated config, in the order that disturbs least: new engines join the board and start; kept
    /// ones take their settings (restarting only those whose way of running changed); the remediator, then the
    /// watching and the channels (only if they changed) are replaced, each judge handing its memory to its
    /// successor; removed engines stop gracefully last, once nothing judges them any more.
    private func reload(_ change: ConfigChange, to next: WardenConfig, parts: Parts, current: Running,
                        remediator: Remediator, restartAlerts: RestartAlerts, watch: ReplaceableServices,
                    alert: ReplaceableServices) async throws {
        let previous = current.withLock { $0.config }
        // First what can fail (a channel's secret that cannot be read): then nothing has changed yet.
        let alerting = change.sections.contains("alerts") ? try parts.alerting(next) : current.withLock { $0.alerting }
        let removed = Set(change.removed)
        parts.board.arrange(previous.engines.filter { removed.contains($0.name) } + next.engines)
        let added = Set(change.added)
        for engine in next.engines {
            if added.contains(engine.name) {
                try parts.fleet.add(engine)
            } else {
                try parts.fleet.reconfigure(engine, relaunch: change.restarted.contains(engine.name))
            }
        }
        remediator.reconfigure(next.remediation, router: alerting.router)
        restartAlerts.reconfigure(next.alerts.restarts, router: alerting.router)
        parts.maintenance.reconfigure(router: alerting.router)
        // The watching is replaced when what it watches, or where its alerts go, changed; an engine's new
        // command or restart settings are the supervisor's alone.
        if !change.added.isEmpty || !change.removed.isEmpty || !change.rewatched.isEmpty || change.sections.contains("alerts") {
            let priorActions = await Self.readRemediationHistory(parts.store, next)
            let watching = parts.watching(next, remediator: remediator, priorActions: priorActions,
                                          rewatched: Set(change.rewatched))
            current.withLock { $0 = Current(config: next, alerting: alerting, receiver: watching.receiver) }
            await watch.replace(with: watching.services)
            // The new dispatcher starts once the judges of the old channels have stopped: what they queued for a
            // channel that is gone is then in the outbox, for it to move to the dead letters as it starts.
            if change.sections.contains("alerts") {
                parts.stats.expect(channels: next.alerts.channels.map(\.name))
                await alert.replace(with: [alerting.dispatcher])
            }
        } else {
            current.withLock { $0.config = next }
        }
        await withDiscardingTaskGroup { group in
            for name in change.removed { group.addTask { await parts.fleet.remove(name) } }
        }
        parts.board.arrange(next.engines)
        // An engine added again later under the same name starts afresh.
        for name in change.removed { parts.forget(name) }
    }

    /// The parts every generation of watching and alerting is built on.
    private struct Parts: Sendable {
        let board: StatusBoard
        let store: WardenStore
        let fleet: EngineFleet
        let liveness: Liveness
        let stats: AlertStats
        let maintenance: MaintenanceDesk
        let logger: Logger
        let system = ProcSystem()
        let memory = Handover<JudgeMemory>()
        let accounts = Handover<TreeCPUAccount>()
        let grids = ProbeGrids()

        /// Drops what a removed engine's loops left behind.
        func forget(_ engine: String) {
            _ = memory.take(engine)
            _ = accounts.take(engine)
            grids.forget(engine)
        }

        /// The probes, the sampler and the judges of `config`'s engines, and the receiver of Alertmanager's
        /// notifications for them.
        func watching(_ config: WardenConfig, remediator: Remediator, priorActions: [PriorAction],
                      rewatched: Set<String>) -> (services: [any Service], receiver: AlertmanagerReceiver) {
            let router = remediator.router
            let probes = config.engines.flatMap { engine in engine.watch.makeProbes().map { (engine.name, $0) } }
            let services: [any Service] = [
                ResourceSampler(engines: config.engines, board: board, system: system, accounts: accounts),
                ProbeRunner(probes: probes, board: board, logger: logger, liveness: liveness, grids: grids,
                            published: board.announce),
                HealthMonitor(engines: config.engines, board: board, store: store, remediator: remediator, logger: logger,
                              priorActions: priorActions, router: router, repeatInterval: config.alerts.repeatInterval,
                              liveness: liveness, memory: memory, rewatched: rewatched, maintenance: maintenance),
            ]
            return (services, AlertmanagerReceiver(engines: config.engines, remediator: remediator, logger: logger,
                                                   priorActions: priorActions, maintenance: maintenance))
        }

        /// The channels of `config` with their secrets read, the router that picks them by level, and the
        /// dispatcher that delivers the outbox to them.
        func alerting(_ config: WardenConfig) throws -> Alerting {
            let channels = try WardenAgent.makeAlertChannels(config.alerts, logger: logger)
            let dispatcher = AlertDispatcher(channels: channels, store: store,
                                             settings: .init(groupWindow: config.alerts.groupWindow, maxAge: config.alerts.maxAge,
                                                             instance: config.instance),
                                             stats: stats, logger: logger)
            return Alerting(router: AlertRouter(channels: channels.map { ($0.name, $0.minLevel) }), dispatcher: dispatcher)
        }
    }

    /// The channels' router and the dispatcher delivering to them.
    private struct Alerting: Sendable {
        let router: AlertRouter
        let dispatcher: AlertDispatcher
    }

    /// Process-wide settings that must hold before any thread or child exists.
    private static func prepareProcess() {
        // Writes to a pipe whose reader has gone (the guard, an exec'd helper) must fail, not kill Warden.
        signal(SIGPIPE, SIG_IGN)
        // Ignored from the first instant, before `SignalHandler` traps them: none of them may end Warden.
        for caught in [SIGHUP, SIGUSR1, SIGUSR2] { signal(caught, SIG_IGN) }
        warden_ensure_standard_fds()
        // Resident size that stays flat over days, not only a live heap that does (see the function).
        warden_tune_malloc()
    }

    private func readAdminToken() throws -> String? {
        guard let source = config.adminToken else { return nil }
        do { return try source.resolve() } catch {
            throw StartupError(description: "admin_token: \(error.description)")
        }
    }

    /// `heartbeat:` with its URLs read: a secret that cannot be read, or does not hold an http(s) URL, stops the
    /// start naming the key and the reference (never the URL, whose path is often the monitor's secret).
    private func makeHeartbeatTarget() throws -> DeadMansSwitch.Target? {
        guard let heartbeat = config.heartbeat else { return nil }
        func url(_ value: TextOrSecret, _ key: String) throws -> URL {
            let text: String
            do { text = try value.resolve(environment: ProcessInfo.processInfo.environment) } catch {
                throw StartupError(description: "heartbeat.\(key): \(error.description)")
            }
            guard let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host != nil else {
                throw StartupError(description: "heartbeat.\(key): \(value.sourceDescription) does not hold an http:// or https:// URL")
            }
            return url
        }
        let alive = try url(heartbeat.url, "url")
        let fail: URL? = switch heartbeat.failURL {
        case .derived: alive.appendingPathComponent("fail")
        case .off: nil
        case .url(let value): try url(value, "fail_url")
        }
        return .init(url: alive, failURL: fail, interval: heartbeat.interval, method: heartbeat.method,
                     maxLevel: heartbeat.maxLevel, timeout: heartbeat.timeout)
    }

    /// The server side of `web.tls`, its files read now: a file that cannot be read or parsed, or a key that
    /// does not fit the certificate, stops the start naming the file.
    private func makeTLSConfiguration() throws -> TLSConfiguration? {
        guard let tls = config.web.tls else { return nil }
        func load<Value>(_ key: String, _ path: String, _ read: () throws -> Value) throws -> Value {
            do { return try read() } catch {
                throw StartupError(description: "web.tls.\(key): cannot load \(path): \(Self.tlsReason(error))")
            }
        }
        let chain = try load("cert_file", tls.certFile) { try NIOSSLCertificate.fromPEMFile(tls.certFile) }
        guard !chain.isEmpty else {
            throw StartupError(description: "web.tls.cert_file: \(tls.certFile) holds no PEM certificate")
        }
        let key = try load("key_file", tls.keyFile) { try NIOSSLPrivateKey(file: tls.keyFile, format: .pem) }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        if let clientCA = tls.clientCAFile {
            let roots = try load("client_ca_file", clientCA) { try NIOSSLCertificate.fromPEMFile(clientCA) }
            guard !roots.isEmpty else {
                throw StartupError(description: "web.tls.client_ca_file: \(clientCA) holds no PEM certificate")
            }
            configuration.trustRoots = .certificates(roots)
            // Clients are identified by the CA that signed them; they have no host name to match.
            configuration.certificateVerification = .noHostnameVerification
        }
        do { _ = try NIOSSLContext(configuration: configuration) } catch {
            throw StartupError(description: "web.tls: the key in \(tls.keyFile) does not fit the certificate in \(tls.certFile), or they cannot be used: \(Self.tlsReason(error))")
        }
        return configuration
    }

    /// BoringSSL's reason without its error codes and source paths; errno's words for a file that is missing.
    private static func tlsReason(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if let error = error as? BoringSSLError { return HTTPExchange.tlsReason(error) }
        return "\(error)"
    }

    /// Withheld from every child: the admin token's variable (engines and exec helpers never see it), and
    /// systemd's notify socket and watchdog, which speak for Warden only.
    private var withheldEnvironment: Set<String> {
        var names: Set<String> = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"]
        if case .environment(let name) = config.adminToken { names.insert(name) }
        return names
    }

    private func helperEnvironment() -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in withheldEnvironment { environment.removeValue(forKey: name) }
        return environment
    }

    /// Marks the actions the last run cut short: they are not retried.
    private func markInterruptedActions(_ store: WardenStore) async {
        let interrupted = await store.markInterruptedActions(at: Date().timeIntervalSince1970)
        if interrupted > 0 {
            logger.warning("remediation actions were cut short when Warden last stopped; they are marked interrupted, not retried",
                           metadata: ["count": "\(interrupted)"])
        }
    }

    /// The actions within the longest budget or cooldown window of `config`: budgets and cooldowns continue
    /// where they were, since neither a restart of Warden nor a reload may reset a storm's brakes.
    private static func readRemediationHistory(_ store: WardenStore, _ config: WardenConfig) async -> [PriorAction] {
        let now = Date().timeIntervalSince1970
        let windows = [config.remediation.budget.window] + config.engines.flatMap { engine in
            engine.remediation.policies.flatMap { [$0.budget.window, $0.cooldown] } + engine.remediation.alertmanager.map(\.cooldown)
        }
        return await store.actionTimes(since: now - (windows.max() ?? .zero).seconds)
    }

    /// The outbox lives in the database: when that refuses writes, people hear of it (and of the alerts that
    /// could not be queued) directly from the current dispatcher, at most one notice of its state a minute.
    private func watchDispatcherProblems(_ store: WardenStore, storeProblem: String?,
                                         dispatcher: @escaping @Sendable () -> AlertDispatcher) {
        let lastNotice = Mutex(-Double.infinity)
        store.onWriteProblem { problem in
            let now = Date().timeIntervalSince1970
            guard lastNotice.withLock({ last in
                defer { if now - last >= 60 { last = now } }
                return now - last >= 60
            }) else { return }
            dispatcher().sendDirect([AlertEvent(kind: .warden, engine: nil, level: problem == nil ? .healthy : .critical,
                                                reason: problem ?? "Warden's database accepts writes again", at: now)])
        }
        store.onUnqueuedAlerts { dispatcher().sendDirect($0) }
        if let storeProblem {
            dispatcher().sendDirect([AlertEvent(kind: .warden, engine: nil, level: .critical, reason: storeProblem,
                                                at: Date().timeIntervalSince1970)])
        }
    }

    private func makeServer(_ http: WardenHTTP, tls: TLSConfiguration?) throws -> some Service {
        let onListening = self.onListening
        let logger = self.logger
        return Application(
            router: http.router(),
            server: try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
            configuration: .init(address: .hostname(config.listen.host, port: config.listen.port), serverName: "warden"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["address": "\(channel.localAddress?.description ?? "?")"])
                onListening(channel.localAddress?.ipAddress ?? "", port)
            },
            logger: Self.quiet(logger))
    }

    /// Runs the services until SIGTERM or SIGINT, then stops them in reverse order.
    private func runServices(_ services: [ServiceGroupConfiguration.ServiceConfiguration]) async throws {
        let group = ServiceGroup(configuration: .init(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: Self.quiet(logger)))
        logger.info("warden starting", metadata: [
            "version": "\(WardenVersion.current)", "engines": "\(config.engines.map(\.name).joined(separator: ","))",
            "state_dir": "\(config.stateDirectory)",
        ])
        do {
            try await group.run()
        } catch let error as IOError {
            // The HTTP server is the only service doing socket I/O: name the address, not NIO's syscall.
            throw StartupError(description: "cannot listen on \(config.listen): \(String(cString: strerror(error.errnoCode)))")
        }
    }

    /// The configured channels with their secrets read; a secret that cannot be read stops the start (or the
    /// reload), naming the channel and the reference (never a value).
    static func makeAlertChannels(_ settings: AlertSettings, logger: Logger) throws -> [AlertChannel] {
        try settings.channels.map { channel in
            func resolve(_ source: SecretSource, _ key: String) throws -> String {
                do { return try source.resolve() } catch {
                    throw StartupError(description: "alerts channel \(channel.name): \(key): \(error.description)")
                }
            }
            let notifier: any Notifier = switch channel.kind {
            case .telegram(let api, let token, let chat, let thread, let timeout, let interval):
                TelegramNotifier(apiURL: api, token: try resolve(token, "bot_token"), chatID: chat, threadID: thread,
                                 timeout: timeout, minimumInterval: interval)
            case .webhook(let url, let secret, let headers, let timeout):
                WebhookNotifier(url: url, secret: try secret.map { source in
                    let value = try resolve(source, "secret")
                    guard WebhookSignature.isUsable(value) else {
                        throw StartupError(description: "alerts channel \(channel.name): secret: starts with whsec_ but the rest is not base64")
                    }
                    return value
                }, headers: try webhookHeaders(headers, channel: channel.name), timeout: timeout)
            case .log:
                LogNotifier(logger: logger)
            }
            return AlertChannel(name: channel.name, minLevel: channel.minLevel, notifier: notifier)
        }
    }

    /// A webhook's headers with their secrets read once, at start: a secret that cannot be read stops the start.
    private static func webhookHeaders(_ headers: [String: TextOrSecret], channel: String) throws -> [String: String] {
        do { return try headers.resolved(environment: ProcessInfo.processInfo.environment).headers } catch {
            throw StartupError(description: "alerts channel \(channel): \(error.description)")
        }
    }

    /// Warden's database in the state directory. When that cannot be had (a read-only or full filesystem, a
    /// directory Warden may not create), a fresh one in the temporary directory instead, so that the engines
    /// are still supervised; the returned problem is logged and alerted. Only when that fails too does Warden
    /// refuse to start. A temporary database is removed when Warden stops.
    private func openStore() throws -> (store: WardenStore, problem: String?, fallback: String?) {
        let path = config.stateDirectory + "/warden.sqlite"
        do {
            try Self.createPrivateDirectory(config.stateDirectory, logger: logger)
            return (try WardenStore(path: path, logger: logger), nil, nil)
        } catch {
            let fallback = NSTemporaryDirectory() + "warden-\(getpid())"
            let problem = "cannot open Warden's database \(path): \(WardenStore.describe(error)); supervising with a "
                + "temporary one in \(fallback): earlier history, audit and budgets are not read, and this run's "
                + "are lost with it"
            logger.error("\(problem)")
            do {
                try Self.createPrivateDirectory(fallback, logger: logger)
                return (try WardenStore(path: fallback + "/warden.sqlite", logger: logger), problem, fallback)
            } catch {
                throw StartupError(description: "\(problem), which failed too: \(WardenStore.describe(error))")
            }
        }
    }

    /// The state directory holds the audit, the alert outbox and the engines' history: created 0700, and an
    /// existing one that others can enter is named (Warden does not chmod a directory it did not create).
    private static func createPrivateDirectory(_ path: String, logger: Logger) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        var info = stat()
        if stat(path, &info) == 0, info.st_mode & 0o077 != 0 {
            logger.warning("state directory \(path) is open to other users (mode \(String(info.st_mode & 0o777, radix: 8))); chmod 700 it")
        }
    }

    /// Library loggers (Hummingbird, ServiceLifecycle) speak at info about every request and service; keep
    /// them to warnings unless Warden itself runs at debug.
    private static func quiet(_ logger: Logger) -> Logger {
        var quiet = logger
        if logger.logLevel > .debug { quiet.logLevel = .warning }
        return quiet
    }
}

public struct StartupError: Error, CustomStringConvertible {
    public let description: String
}
