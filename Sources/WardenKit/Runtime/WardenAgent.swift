import CWardenSys
import Foundation
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import Synchronization

public enum WardenVersion {
    public static let current = "0.1.0"
}

/// Assembles Warden from a validated config and runs it. `run()` reads as the list of what Warden is: the
/// process set up, secrets and the store opened, the engines and their observers built, then one `ServiceGroup`
/// of services in dependency order. SIGTERM or SIGINT stops them in reverse order (observers, then every engine
/// together and gracefully, then the HTTP server, which answers while the engines stop) and `run()` returns.
public struct WardenAgent: Sendable {
    public let config: WardenConfig
    public let logger: Logger
    /// Called with the bound address once the HTTP server listens (the port is known even for port 0).
    public var onListening: @Sendable (String, Int) -> Void = { _, _ in }

    public init(config: WardenConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        Self.prepareProcess()
        let adminToken = try readAdminToken()
        let tls = try makeTLSConfiguration()
        let heartbeat = try makeHeartbeatTarget()
        let channels = try makeAlertChannels()
        let storage = try openStore()
        let store = storage.store
        let board = StatusBoard(engines: config.engines)
        let system = ProcSystem()
        let liveness = Liveness()
        let engines = try makeEngines(board: board, store: store, liveness: liveness)
        let deadMansSwitch = heartbeat.map {
            DeadMansSwitch(target: $0, board: board, liveness: liveness, stats: HeartbeatStats(), logger: logger)
        }
        let priorActions = await readRemediationHistory(store)

        let alerting = Alerting(channels: channels)
        let dispatcher = makeDispatcher(alerting, store: store, storeProblem: storage.problem)
        let remediator = Remediator(board: board, store: store, supervisors: engines.supervisors, settings: config.remediation,
                                    environment: helperEnvironment(), logger: logger, priorActions: priorActions.map(\.at),
                                    router: alerting.router)
        if config.remediation.dryRun {
            logger.notice("remediation runs dry: actions are logged and audited, none is taken")
        }
        let health = HealthMonitor(engines: config.engines, board: board, store: store, remediator: remediator, logger: logger,
                                   priorActions: priorActions, router: alerting.router,
                                   repeatInterval: config.alerts.repeatInterval, liveness: liveness)
        let metrics = WardenMetrics(version: WardenVersion.current, board: board, store: store, system: system,
                                    actionKinds: actionKinds(), alertStats: alerting.stats, heartbeatStats: deadMansSwitch?.stats)
        let http = WardenHTTP(version: WardenVersion.current, board: board, metrics: metrics, supervisors: engines.supervisors,
                              auth: AdminAuth(token: adminToken),
                              basicAuth: BasicAuthenticator(users: config.web.basicAuthUsers), reports: engines.reports,
                              alertmanager: AlertmanagerReceiver(engines: config.engines, remediator: remediator, logger: logger,
                                                                 priorActions: priorActions),
                              alerts: .init(store: store, router: alerting.router, stats: alerting.stats),
                              published: board.announce)

        // The observers may have nothing to do (no probes, no rules); their ending is no reason to stop Warden.
        let observers: [any Service] = [
            ResourceSampler(engines: config.engines, board: board, system: system),
            ProbeRunner(probes: engines.probes, board: board, logger: logger, liveness: liveness, published: board.announce),
            health,
            dispatcher,
        ] + engines.logWatchers + [deadMansSwitch].compactMap { $0 } + [
            SignalHandler(logger: logger) { [logger] in
                logger.notice("SIGHUP received: Warden and its engines keep running; this version does not reload its config, so restart Warden to apply a changed one")
            },
            // Last, so that it is the first told of a shutdown: systemd hears STOPPING=1 before anything stops.
            SystemdNotifier(environment: ProcessInfo.processInfo.environment, liveness: liveness, logger: logger,
                            ready: { board.allStartsAttempted }),
        ]
        try await runServices(
            [.init(service: try makeServer(http, tls: tls)), .init(service: EngineFleet(supervisors: engines.supervisors))]
                + observers.map { .init(service: $0, successTerminationBehavior: .ignore) })

        if let fallback = storage.fallback {
            // Its contents were only ever this run's (the problem said so when it started): nothing to keep.
            try? FileManager.default.removeItem(atPath: fallback)
            logger.info("removed the temporary database \(fallback)")
        }
        logger.info("warden stopped")
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
        do { return try read(source, for: "admin_token") } catch {
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

    /// What runs per engine: its supervisor, the intake of its pushed reports, its probes and its log watcher.
    private struct Engines {
        var supervisors: [EngineSupervisor] = []
        var reports: [String: WardenHTTP.ReportIntake] = [:]
        var probes: [(engine: String, probe: any Probe)] = []
        var logWatchers: [any Service] = []
    }

    private func makeEngines(board: StatusBoard, store: WardenStore, liveness: Liveness) throws -> Engines {
        let orphanGuard = try OrphanGuard(logger: logger)
        var engines = Engines()
        for engine in config.engines {
            var extra: [String: String] = [:]
            if let report = engine.watch.report {
                // A fresh token per run: the engine learns it from its environment, nobody else needs it.
                let token = (0..<4).map { _ in String(UInt64.random(in: .min ... .max), radix: 16) }.joined()
                engines.reports[engine.name] = .init(token: token, maxBodyBytes: report.maxBodyBytes, maxAge: report.maxAge,
                                                     timestamps: engine.watch.timestamps)
                // Until the first report arrives, the report probe exists and reads as failed.
                let waiting = ProbeOutcome(success: false, durationSeconds: 0, at: Date().timeIntervalSince1970,
                                           failure: "no report received yet", output: .none).following(nil)
                board.update(engine.name) { $0.observations.probes[PushedReport.probeName] = waiting }
                let scheme = config.web.tls == nil ? "http" : "https"
                extra["WARDEN_REPORT_URL"] = "\(scheme)://\(config.listen.reachable)/api/v1/engines/\(engine.name)/report"
                extra["WARDEN_REPORT_TOKEN"] = token
            }
            let supervisor = EngineSupervisor(config: engine, board: board, history: store, orphanGuard: orphanGuard,
                                              extraEnvironment: extra, withheldEnvironment: withheldEnvironment, logger: logger,
                                              liveness: liveness)
            engines.supervisors.append(supervisor)
            engines.probes += engine.watch.makeProbes().map { (engine.name, $0) }
            if !engine.watch.logRules.isEmpty {
                let rules = try LogRuleSet(engine.watch.logRules)
                engines.logWatchers.append(LogWatcher(engine: engine.name, rules: rules, broadcast: supervisor.logLines,
                                                      board: board))
            }
        }
        return engines
    }

    /// Marks the actions the last run cut short, and reads the actions within the longest budget or cooldown
    /// window: budgets and cooldowns continue where they were, since a restart of Warden must not reset a
    /// storm's brakes.
    private func readRemediationHistory(_ store: WardenStore) async -> [PriorAction] {
        let now = Date().timeIntervalSince1970
        let interrupted = await store.markInterruptedActions(at: now)
        if interrupted > 0 {
            logger.warning("remediation actions were cut short when Warden last stopped; they are marked interrupted, not retried",
                           metadata: ["count": "\(interrupted)"])
        }
        let windows = [config.remediation.budget.window] + config.engines.flatMap { engine in
            engine.remediation.policies.flatMap { [$0.budget.window, $0.cooldown] } + engine.remediation.alertmanager.map(\.cooldown)
        }
        return await store.actionTimes(since: now - (windows.max() ?? .zero).seconds)
    }

    /// The action kinds each engine's remediation can take: their counters are exposed from 0.
    private func actionKinds() -> [String: Set<String>] {
        Dictionary(uniqueKeysWithValues: config.engines.map { engine in
            (engine.name, Set(engine.remediation.policies.flatMap { $0.ladder.map(\.action.kind) }
                              + engine.remediation.alertmanager.map(\.action.kind)))
        })
    }

    /// The channels, the router that picks channels by level, and their delivery counters.
    private struct Alerting {
        let channels: [AlertChannel]
        let router: AlertRouter
        let stats: AlertStats

        init(channels: [AlertChannel]) {
            self.channels = channels
            router = AlertRouter(channels: channels.map { ($0.name, $0.minLevel) })
            stats = AlertStats(channels: channels.map(\.name))
        }
    }

    /// The dispatcher delivers the outbox. The outbox lives in the database: when that refuses writes, people hear
    /// of it (and of the alerts that could not be queued) directly, at most one notice of its state a minute.
    private func makeDispatcher(_ alerting: Alerting, store: WardenStore, storeProblem: String?) -> AlertDispatcher {
        let dispatcher = AlertDispatcher(channels: alerting.channels, store: store,
                                         settings: .init(groupWindow: config.alerts.groupWindow, maxAge: config.alerts.maxAge),
                                         stats: alerting.stats, logger: logger)
        let lastNotice = Mutex(-Double.infinity)
        store.onWriteProblem { problem in
            let now = Date().timeIntervalSince1970
            guard lastNotice.withLock({ last in
                defer { if now - last >= 60 { last = now } }
                return now - last >= 60
            }) else { return }
            dispatcher.sendDirect([AlertEvent(kind: .warden, engine: nil, level: problem == nil ? .healthy : .critical,
                                              reason: problem ?? "Warden's database accepts writes again", at: now)])
        }
        store.onUnqueuedAlerts { dispatcher.sendDirect($0) }
        if let storeProblem {
            dispatcher.sendDirect([AlertEvent(kind: .warden, engine: nil, level: .critical, reason: storeProblem,
                                              at: Date().timeIntervalSince1970)])
        }
        return dispatcher
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

    /// The configured channels with their secrets read; a secret that cannot be read stops the start, naming
    /// the channel and the reference (never a value).
    private func makeAlertChannels() throws -> [AlertChannel] {
        try config.alerts.channels.map { channel in
            func resolve(_ source: SecretSource, _ key: String) throws -> String {
                do { return try read(source, for: "alerts channel \(channel.name): \(key)") } catch {
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
    private func webhookHeaders(_ headers: [String: TextOrSecret], channel: String) throws -> [String: String] {
        do { return try headers.resolved(environment: ProcessInfo.processInfo.environment).headers } catch {
            throw StartupError(description: "alerts channel \(channel): \(error.description)")
        }
    }

    /// Reads a secret, and warns once, at start, when its file is open to every local user.
    private func read(_ source: SecretSource, for key: String) throws(SecretError) -> String {
        if let exposure = source.exposure { logger.warning("\(key): \(exposure)") }
        return try source.resolve()
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
