import Yams

/// The config file as written: one type per section, each holding the defaults of its keys beside them.
///
/// The loader reads YAML into this model (checking each value where it is read), then checks what refers to
/// what and converts the model into the runtime's `WardenConfig`. Encoding the model with Yams' `YAMLEncoder`
/// gives a file the loader accepts and reads back to an equal model; that is how `warden demo` writes its
/// config. Values are as written: paths stay relative, secrets stay references.
public struct ConfigFile: Sendable, Equatable, Encodable {
    /// Loopback: the admin endpoints are not on the network unless the file says so.
    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 9780)

    /// Which Warden this is, in every alert, the webhook payload, the status page and `warden_build_info`;
    /// none: the host name.
    public var instance: String?
    public var listen = ConfigFile.defaultListen
    /// Relative to the config file's directory.
    public var stateDirectory = "/var/lib/warden"
    /// Required for mutating endpoints; without one they answer 403.
    public var adminToken: SecretSource?
    /// TLS and Basic auth on `listen`.
    public var web = Web()
    /// A dead-man's switch pinged while Warden and its engines are well; none: no pings.
    public var heartbeat: Heartbeat?
    public var remediation = WardenRemediation()
    public var alerts = Alerts()
    public var engines: [Engine]
    var location = ConfigLocation()

    enum CodingKeys: String, CodingKey {
        case instance, listen, stateDirectory = "state_dir", adminToken = "admin_token", web, heartbeat, remediation, alerts, engines
    }

    public init(engines: [Engine]) { self.engines = engines }

    /// What no single key shows: a listener on the network without a token to guard its mutating endpoints,
    /// or with nothing (TLS or users) to guard its reads.
    func validate() -> [ConfigProblem] {
        guard !listen.isLoopback else { return [] }
        var problems: [ConfigProblem] = []
        if adminToken == nil {
            problems.append(ConfigProblem(CodingKeys.listen, "listening on \(listen.host), which is not loopback, requires admin_token: the restart endpoint would otherwise be open to the network"))
        }
        if !web.guardsTheNetwork {
            problems.append(ConfigProblem(CodingKeys.listen, "listening on \(listen.host), which is not loopback, requires web.tls or web.basic_auth_users: metrics and engine status would otherwise be readable by anyone on the network (set web.public_reads: true if that is meant)"))
        }
        return problems
    }

    /// The encoded file.
    public func yaml() throws -> String { try YAMLEncoderForConfigs.encode(self) }
}

extension ConfigFile {
    /// `remediation:` at the top: what holds for every engine's actions.
    public struct WardenRemediation: Sendable, Equatable, Encodable {
        /// Log and audit what would be done, do nothing.
        public var dryRun = false
        /// At most 30 actions an hour across every engine and policy.
        public var budget = Budget(max: 30)

        enum CodingKeys: String, CodingKey { case dryRun = "dry_run", budget }
    }

    /// `{max: N, window: DURATION}`: at most `max` actions within any `window`.
    public struct Budget: Sendable, Equatable, Encodable {
        public var max: Int
        @DurationNotation public var window: Duration = .seconds(3600)

        enum CodingKeys: String, CodingKey { case max, window }

        public init(max: Int, window: Duration = .seconds(3600)) {
            self.max = max
            self.window = window
        }

        var ledger: BudgetLedger.Budget { BudgetLedger.Budget(limit: max, window: window) }
    }
}

/// A problem `validate()` finds in a model value, about one of its keys.
struct ConfigProblem {
    let key: String
    let message: String

    init(_ key: some CodingKey, _ message: String) {
        self.key = key.stringValue
        self.message = message
    }
}

/// Encodes models as config files: lines never folded, keys in the order of the model's fields.
enum YAMLEncoderForConfigs {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = YAMLEncoder()
        encoder.options.width = -1
        return try encoder.encode(value)
    }
}

extension ConfigFile {
    /// Entries of the `engines:` list as YAML, indented for the list: for tools that write the rest of a file
    /// around them.
    public static func engineEntries(_ engines: [Engine]) throws -> String {
        try YAMLEncoderForConfigs.encode(engines).split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "  " + $0 }.joined(separator: "\n")
    }
}
