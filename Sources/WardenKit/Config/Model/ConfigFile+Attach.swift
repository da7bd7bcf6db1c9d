extension ConfigFile {
    /// `attach:`: an engine another supervisor runs (systemd, supervisord, pm2, a container). Warden finds its
    /// main process instead of starting one, and watches it as it watches a child.
    public struct Attach: Sendable, Equatable, Encodable {
        public enum Target: Sendable, Equatable {
            /// `pidfile: PATH`: the main pid, read again whenever the process is gone.
            case pidfile(String)
            /// `process: {match: REGEX, user: NAME}`: the oldest process whose command line matches.
            case process(match: String, user: String?)
            /// `none: true`: no process at all; only probes and checks (a bot on another host).
            case none
        }

        public var target: Target
        /// How often Warden looks for the process, and whether it is still there.
        @DurationNotation public var interval: Duration = .seconds(1)

        enum CodingKeys: String, CodingKey { case pidfile, process, none, interval }
        enum ProcessKeys: String, CodingKey { case match, user }

        public init(_ target: Target) { self.target = target }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch target {
            case .pidfile(let path): try container.encode(path, forKey: .pidfile)
            case .process(let match, let user):
                var process = container.nestedContainer(keyedBy: ProcessKeys.self, forKey: .process)
                try process.encode(match, forKey: .match)
                try process.encodeIfPresent(user, forKey: .user)
            case .none: try container.encode(true, forKey: .none)
            }
            try container.encode(_interval, forKey: .interval)
        }
    }

    /// `control:`: how Warden acts on an attached engine through the supervisor that runs it, each an argv
    /// (`["supervisorctl", "restart", "bot"]`). A restart runs `restart`, or, without it, `stop` then `start`
    /// (for a supervisor whose restart does something else); it succeeds when a new main process runs within
    /// `timeout`.
    public struct Control: Sendable, Equatable, Encodable {
        public var restart: [String]?
        public var stop: [String]?
        public var start: [String]?
        @DurationNotation public var timeout: Duration = .seconds(60)

        enum CodingKeys: String, CodingKey { case restart, stop, start, timeout }

        /// The commands a restart runs, in order; none: Warden cannot restart the engine.
        public var restartSequence: [[String]]? {
            if let restart { return [restart] }
            if let stop, let start { return [stop, start] }
            return nil
        }

        func validate() -> [ConfigProblem] {
            switch (stop, start) {
            case (_?, nil): [ConfigProblem(CodingKeys.stop, "stop needs start beside it: a restart runs stop, then start")]
            case (nil, _?): [ConfigProblem(CodingKeys.start, "start needs stop beside it: a restart runs stop, then start")]
            default: []
            }
        }
    }
}
