import Foundation

extension ConfigFile {
    /// One `probes:` entry: something Warden reads from the engine on a schedule.
    public struct Probe: Sendable, Equatable, Encodable {
        public enum Kind: Sendable, Equatable {
            case http(HTTP)
            case sqlite(SQLite)
            case heartbeatFile(HeartbeatFile)
        }

        /// A run's limit; a SQLite probe's wait for a busy database is part of it.
        public static let defaultTimeout: Duration = .seconds(5)

        public var name: String
        @DurationNotation public var interval: Duration = .seconds(15)
        @DurationNotation public var timeout: Duration = Probe.defaultTimeout
        public var kind: Kind

        enum CodingKeys: String, CodingKey {
            case name, interval, timeout, http, sqlite, heartbeatFile = "heartbeat_file"
        }

        static let kindKeys: [CodingKeys] = [.http, .sqlite, .heartbeatFile]

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(_interval, forKey: .interval)
            try container.encode(_timeout, forKey: .timeout)
            switch kind {
            case .http(let http): try container.encode(http, forKey: .http)
            case .sqlite(let sqlite): try container.encode(sqlite, forKey: .sqlite)
            case .heartbeatFile(let file): try container.encode(file, forKey: .heartbeatFile)
            }
        }

        /// `http:`: a GET whose body, JSON unless told otherwise, checks can read.
        public struct HTTP: Sendable, Equatable, Encodable {
            public var url: URL
            /// A body larger than this is a failed probe, not a memory spike in Warden.
            @ByteSizeNotation public var maxBody: Int64 = 1_048_576
            public var json = true
            /// A value given as `{file:}` or `{env:}` is a secret header (`TextOrSecret`).
            @SortedByName public var headers: [String: TextOrSecret] = [:]
            /// `basic_auth` or `bearer_token`, for an endpoint that wants a login (a bot's own REST API).
            public var credentials: Credentials?

            enum CodingKeys: String, CodingKey { case url, maxBody = "max_body", json, headers }

            public func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(url, forKey: .url)
                try container.encode(_maxBody, forKey: .maxBody)
                try container.encode(json, forKey: .json)
                if !headers.isEmpty { try container.encode(_headers, forKey: .headers) }
                try ConfigFile.encode(credentials, to: encoder)
            }
        }

        /// `sqlite:`: the engine's database, opened read-only for every run.
        public struct SQLite: Sendable, Equatable, Encodable {
            /// Relative to the engine's working directory.
            public var path: String
            /// Lets `sql` remediation actions write to this database; the probe itself never does.
            public var allowWrites = false
            /// At most the probe's timeout: a longer one is cut to it.
            @DurationNotation public var busyTimeout: Duration = .seconds(1)

            enum CodingKeys: String, CodingKey { case path, allowWrites = "allow_writes", busyTimeout = "busy_timeout" }

            /// The wait for a busy database is part of a run, so it fits within the probe's `timeout`.
            func validate(timeout: Duration) -> [ConfigProblem] {
                guard busyTimeout > timeout else { return [] }
                return [ConfigProblem(CodingKeys.busyTimeout, "must not exceed the probe's timeout (\(Units.formatDuration(timeout)))")]
            }
        }

        /// `heartbeat_file:`: a file the engine touches; its age is the heartbeat's.
        public struct HeartbeatFile: Sendable, Equatable, Encodable {
            /// Relative to the engine's working directory.
            public var path: String

            enum CodingKeys: String, CodingKey { case path }
        }
    }

    /// `report:`: the engine pushes its status to Warden instead of being asked for it.
    public struct Report: Sendable, Equatable, Encodable {
        @ByteSizeNotation public var maxBody: Int64 = 1_048_576
        /// A report older than this counts as missing.
        @DurationNotation public var maxAge: Duration = .seconds(60)

        enum CodingKeys: String, CodingKey { case maxBody = "max_body", maxAge = "max_age" }
    }

    /// One `log_rules:` entry: a pattern matched against every line the engine prints.
    public struct LogRule: Sendable, Equatable, Encodable {
        public var name: String
        /// A POSIX extended regular expression.
        public var match: String
        public var kind = LogRuleKind.counter

        enum CodingKeys: String, CodingKey { case name, match, kind }
    }
}
