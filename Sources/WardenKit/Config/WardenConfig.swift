import Foundation

/// Warden's configuration after validation: every path absolute, every duration parsed, every secret a
/// reference (never its value).
public struct WardenConfig: Sendable {
    /// Which Warden this is (the config's `instance`, or the host name).
    public var instance = ProcessInfo.processInfo.hostName
    public var listen: ListenAddress
    /// Absolute path of the directory holding Warden's database and engine logs.
    public var stateDirectory: String
    /// Required for mutating endpoints; without one they answer 403.
    public var adminToken: SecretSource?
    public var web = WebSettings()
    public var heartbeat: HeartbeatSettings?
    public var remediation = RemediationSettings()
    public var alerts = AlertSettings()
    public var engines: [EngineConfig]
    /// What the loader found worth a look in a valid config (a secret file every user can read): printed by
    /// `check-config`, logged at start and after each reload, and returned by `/-/reload`.
    public var warnings: [ConfigIssue] = []

    /// The action kinds each engine's remediation can take: their counters are exposed from 0.
    public var actionKinds: [String: Set<String>] {
        Dictionary(engines.map { engine in
            (engine.name, Set(engine.remediation.policies.flatMap { $0.ladder.map(\.action.kind) }
                              + engine.remediation.alertmanager.map(\.action.kind)))
        }, uniquingKeysWith: { first, _ in first })
    }
}

/// `heartbeat:`: the dead-man's switch, its URLs still references where the config gave them so.
public struct HeartbeatSettings: Sendable {
    public var url: TextOrSecret
    public var failURL: ConfigFile.Heartbeat.FailURL
    public var interval: Duration
    public var method: String
    public var maxLevel: HealthLevel
    public var timeout: Duration
}

/// Who may read the HTTP surface, and over what (`web:`).
public struct WebSettings: Sendable, Equatable {
    /// Absolute paths of PEM files; nil: plain HTTP.
    public var tls: TLSFiles?
    /// User names to bcrypt hashes; empty: reads need no credentials.
    public var basicAuthUsers: [String: String] = [:]

    public init(tls: TLSFiles? = nil, basicAuthUsers: [String: String] = [:]) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
    }

    public struct TLSFiles: Sendable, Equatable {
        public var certFile: String
        public var keyFile: String
        /// When set, clients must present a certificate this CA signed.
        public var clientCAFile: String?

        public init(certFile: String, keyFile: String, clientCAFile: String? = nil) {
            self.certFile = certFile
            self.keyFile = keyFile
            self.clientCAFile = clientCAFile
        }
    }
}

public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `host:port`, `[v6]:port` or `:port` (which means loopback, never all interfaces).
    public init?(parsing text: String) {
        let hostPart: Substring
        let portPart: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            hostPart = text[text.index(after: text.startIndex)..<close]
            portPart = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            hostPart = text[..<colon]
            portPart = text[text.index(after: colon)...]
            if hostPart.contains(":") { return nil }
        }
        guard let port = Int(portPart), (0...65535).contains(port) else { return nil }
        self.host = hostPart.isEmpty ? ConfigFile.defaultListen.host : String(hostPart)
        self.port = port
    }

    public var isLoopback: Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The address a local engine uses to reach Warden: a wildcard listener is reached through loopback.
    public var reachable: String {
        ListenAddress(host: reachableHost, port: port).description
    }

    /// The host of `reachable`.
    public var reachableHost: String {
        switch host {
        case "0.0.0.0": "127.0.0.1"
        case "::": "::1"
        default: host
        }
    }
}

public enum RestartMode: String, Sendable, CaseIterable {
    /// Restart whatever the exit status: a trading engine that exits 0 unexpectedly is still not trading.
    case always
    /// Restart after a non-zero exit or a signal only.
    case onFailure = "on-failure"
    case never
}

/// How Warden finds an engine another supervisor runs, and acts on it through that supervisor.
public struct Attachment: Sendable, Equatable {
    /// A pidfile's path is absolute.
    public var target: ConfigFile.Attach.Target
    public var interval: Duration
    /// The commands a restart runs, in order, each program found on this host: `control.restart`, or
    /// `control.stop` then `control.start`; none: Warden cannot restart the engine.
    public var restartSequence: [[String]]?
    /// A restart succeeds when a new main process runs within this.
    public var controlTimeout: Duration

    /// Who restarts the engine, as the status says it: the restart command(s), or nobody.
    public var restartedBy: String? {
        restartSequence?.map { $0.joined(separator: " ") }.joined(separator: ", then ")
    }

    /// How it is found, as the status says it.
    public var how: String {
        switch target {
        case .pidfile(let path): "pidfile \(path)"
        case .process(let match, let user): "process matching \(match)" + (user.map { " owned by \($0)" } ?? "")
        case .none: "none (no process: probes and checks only)"
        }
    }
}

/// How an engine comes to run. A reload never turns one into the other: the loader keeps how a switched engine
/// runs until Warden restarts (`ConfigFile.keepStartupKeys`).
public enum EngineLaunch: Sendable {
    /// `command`: Warden starts the engine as its child. argv as given, and argv[0] resolved against the
    /// working directory or PATH.
    case command(argv: [String], executable: String)
    /// `attach`: another supervisor runs the engine; Warden finds it and acts through that supervisor.
    case attach(Attachment)
}

public struct EngineConfig: Sendable {
    /// Label value and URL path segment: `[A-Za-z0-9_.-]{1,64}`.
    public var name: String
    /// Started by Warden, or found.
    public var launch: EngineLaunch
    public var workingDirectory: String
    /// Added to (or, with `inheritEnvironment: false`, instead of) Warden's own environment.
    public var environment: [String: String]
    public var inheritEnvironment: Bool
    public var stop: StopPolicy
    public var restart: RestartPolicy
    public var logs: LogPolicy
    public var samplingInterval: Duration
    /// Probes, log rules and checks: what Warden watches inside the engine.
    public var watch = WatchConfig()
    /// How the engine is judged (thresholds, hysteresis) and what Warden does about it.
    public var health = HealthSettings()
    public var remediation = EngineRemediation()

    /// How another supervisor's engine is found and restarted; none for a child of Warden's.
    public var attachment: Attachment? {
        guard case .attach(let attachment) = launch else { return nil }
        return attachment
    }
}

/// An engine's remediation: policies driven by its health, and actions Alertmanager may ask for.
public struct EngineRemediation: Sendable {
    public var policies: [RemediationPolicy] = []
    public var alertmanager: [AlertMapping] = []

    public init() {}
}

public struct StopPolicy: Sendable, Equatable {
    public var signal: Signal
    public var gracePeriod: Duration
    /// Exit codes that mean a stop on purpose (`stop.clean_exit_codes`).
    public var cleanExitCodes: Set<Int32>

    public init(signal: Signal, gracePeriod: Duration, cleanExitCodes: Set<Int32>? = nil) {
        self.signal = signal
        self.gracePeriod = gracePeriod
        self.cleanExitCodes = cleanExitCodes ?? ConfigFile.Stop(signal: signal).effectiveCleanExitCodes
    }

    /// Whether `status` is a stop on purpose: a listed code, or a death by a signal whose shell status
    /// (128 + its number) is listed.
    public func isClean(_ status: ExitStatus) -> Bool {
        switch status {
        case .exited(let code): cleanExitCodes.contains(code)
        case .signaled(let signal): cleanExitCodes.contains(128 + signal.number)
        }
    }
}

public struct RestartPolicy: Sendable, Equatable {
    public var mode: RestartMode
    public var backoff: Backoff
    public var budget: RestartBudget

    public init(mode: RestartMode, backoff: Backoff, budget: RestartBudget) {
        self.mode = mode
        self.backoff = backoff
        self.budget = budget
    }
}

public struct LogPolicy: Sendable, Equatable {
    /// Absolute path of the current log file; rotated files get `.1`, `.2`, ... appended.
    public var file: String
    public var maxBytes: Int64
    /// Files kept in all, the current one included.
    public var maxFiles: Int
    /// Absolute path of a file the engine writes itself, which the log rules follow; none: only captured output.
    public var follow: String?
}
