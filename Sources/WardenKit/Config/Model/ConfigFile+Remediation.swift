import Foundation

extension ConfigFile {
    /// An engine's `remediation:`: policies driven by its health, and actions Alertmanager may ask for.
    public struct EngineRemediation: Sendable, Equatable, Encodable {
        /// An `http` or `exec` action run before every remediation restart.
        public var preStop: Action?
        public var policies: [Policy] = []
        public var alertmanager: [AlertmanagerMapping] = []

        enum CodingKeys: String, CodingKey { case preStop = "pre_stop", policies, alertmanager }
    }

    /// One `policies:` entry: a condition on one component and the ladder of actions that should clear it.
    public struct Policy: Sendable, Equatable, Encodable {
        public var name: String
        public var component: HealthComponent
        /// The component's checks that trigger it; none: any.
        public var checks: [HealthCheck] = []
        /// The lowest level that triggers it.
        public var level = HealthLevel.unhealthy
        /// How long the condition must hold before the first action.
        @DurationNotation public var holdFor: Duration = .zero
        /// The least time between the first actions of two incidents.
        @DurationNotation public var cooldown: Duration = .seconds(300)
        public var budget = Budget(max: 6)
        /// Tried in order, each when the one before did not clear the condition.
        public var ladder: [Rung]
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey { case name, component, checks, level, holdFor = "for", cooldown, budget, ladder }

        init(name: String, component: HealthComponent, ladder: [Rung]) {
            self.name = name
            self.component = component
            self.ladder = ladder
        }

        /// A policy acts on a problem, and HEALTHY is none.
        static func validate(level: HealthLevel) -> [ConfigProblem] {
            level == .healthy ? [ConfigProblem(CodingKeys.level, "a policy acts on DEGRADED, UNHEALTHY or CRITICAL, not HEALTHY")] : []
        }
    }

    /// One step of a ladder: an action and how long it has to work, written as one mapping
    /// (`{restart: {}, verify_after: 3}`).
    public struct Rung: Sendable, Equatable, Encodable {
        public var action: Action
        /// Evaluations after the action within which the condition must clear, or the next rung is taken.
        public var verifyAfter = 3

        enum CodingKeys: String, CodingKey { case verifyAfter = "verify_after" }

        public func encode(to encoder: any Encoder) throws {
            try action.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(verifyAfter, forKey: .verifyAfter)
        }
    }

    /// One `alertmanager:` entry: what Warden does when Alertmanager posts an alert for the engine.
    public struct AlertmanagerMapping: Sendable, Equatable, Encodable {
        public var alertname: String
        /// Further labels the alert must carry with these values.
        @SortedByName public var labels: [String: String] = [:]
        public var action: Action
        /// Whether a resolved notification runs the action too.
        public var onResolved = false
        /// The least time between two actions of this mapping.
        @DurationNotation public var cooldown: Duration = .seconds(300)
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey { case alertname, labels, action, onResolved = "on_resolved", cooldown }
    }

    /// One action, written as a mapping with exactly one of its kinds as the key.
    public enum Action: Sendable, Equatable, Encodable {
        case restart(Restart)
        /// A signal to the engine's process group.
        case signal(Signal)
        case http(HTTP)
        case exec(Exec)
        case sql(SQL)

        enum CodingKeys: String, CodingKey, CaseIterable { case restart, signal, http, exec, sql }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .restart(let restart): try container.encode(restart, forKey: .restart)
            case .signal(let signal): try container.encode(signal, forKey: .signal)
            case .http(let http): try container.encode(http, forKey: .http)
            case .exec(let exec): try container.encode(exec, forKey: .exec)
            case .sql(let sql): try container.encode(sql, forKey: .sql)
            }
        }

        /// `restart:`: a restart that may wait for a value (a held lock) to fall to zero.
        public struct Restart: Sendable, Equatable, Encodable {
            /// Wait while this count is non-zero.
            public var deferWhile: ValueSource?
            /// Restart anyway after waiting this long.
            @DurationNotation public var maxDefer: Duration = .seconds(600)

            enum CodingKeys: String, CodingKey { case deferWhile = "defer_while", maxDefer = "max_defer" }
        }

        /// `http:`: one request to the engine's (or anyone's) admin endpoint.
        public struct HTTP: Sendable, Equatable, Encodable {
            public static let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]

            public var url: URL
            /// One of `methods`, in any case.
            public var method = "POST"
            /// A value given as `{file:}` or `{env:}` is a secret header (`TextOrSecret`): it never follows a
            /// redirect to another origin.
            @SortedByName public var headers: [String: TextOrSecret] = [:]
            /// `basic_auth` or `bearer_token`, as an `http` probe takes them.
            public var credentials: Credentials?
            public var body: String?
            @DurationNotation public var timeout: Duration = .seconds(5)

            enum CodingKeys: String, CodingKey { case url, method, headers, body, timeout }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(url, forKey: .url)
                try container.encode(method, forKey: .method)
                if !headers.isEmpty { try container.encode(_headers, forKey: .headers) }
                try ConfigFile.encode(credentials, to: encoder)
                try container.encodeIfPresent(body, forKey: .body)
                try container.encode(_timeout, forKey: .timeout)
            }
        }

        /// `exec:`: a command run in the engine's working directory and environment.
        public struct Exec: Sendable, Equatable, Encodable {
            /// argv, looked up like the engine's own command.
            public var command: [String]
            @DurationNotation public var timeout: Duration = .seconds(30)
            var location = ConfigLocation()

            enum CodingKeys: String, CodingKey { case command, timeout }

            init(command: [String]) { self.command = command }
        }

        /// `sql:`: one statement on the database of a sqlite probe that allows writes.
        public struct SQL: Sendable, Equatable, Encodable {
            public var probe: String
            public var statement: String
            @DurationNotation public var timeout: Duration = .seconds(5)
            var location = ConfigLocation()

            enum CodingKeys: String, CodingKey { case probe, statement, timeout }

            init(probe: String, statement: String) {
                self.probe = probe
                self.statement = statement
            }
        }
    }
}
