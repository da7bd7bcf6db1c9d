extension ConfigFile {
    /// One `engines:` entry: how to run the engine, what to watch inside it, how to judge it and what to do.
    public struct Engine: Sendable, Equatable, Encodable {
        /// Label value and URL path segment: `[A-Za-z0-9_.-]{1,64}`.
        public var name: String
        /// argv; `command[0]` is a path relative to the working directory, or a name looked up in PATH. Empty for
        /// an attached engine.
        public var command: [String]
        /// Another supervisor runs the engine: Warden finds it instead of starting it.
        public var attach: Attach?
        /// Commands that act on an attached engine through its own supervisor.
        public var control: Control?
        /// Relative to the config file's directory; none: that directory itself.
        public var workingDirectory: String?
        @SortedByName public var environment: [String: String] = [:]
        public var inheritEnvironment = true
        public var stop = Stop()
        public var restart = Restart()
        public var logs = Logs()
        @DurationNotation public var samplingInterval: Duration = .seconds(5)
        /// Zone of timestamps the engine stores without one: UTC unless it says otherwise.
        public var timestampsZone = "+00:00"
        /// Accept reports the engine pushes; none: it pushes nothing.
        public var report: Report?
        public var probes: [Probe] = []
        public var logRules: [LogRule] = []
        public var checks = Checks()
        public var health = Health()
        public var remediation = EngineRemediation()
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey {
            case name, command, attach, control, workingDirectory = "working_dir", environment = "env", inheritEnvironment = "inherit_env"
            case stop, restart, logs, samplingInterval = "sampling_interval", timestampsZone = "timestamps_zone", report
            case probes, logRules = "log_rules", checks, health, remediation
        }

        public init(name: String, command: [String]) {
            self.name = name
            self.command = command
        }

        /// An engine another supervisor runs.
        public init(name: String, attach: Attach, control: Control? = nil) {
            self.name = name
            self.command = []
            self.attach = attach
            self.control = control
        }

        /// Written as read: `command` for an engine Warden starts, `attach` (and `control`) for one it finds.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            if attach == nil { try container.encode(command, forKey: .command) }
            try container.encodeIfPresent(attach, forKey: .attach)
            try container.encodeIfPresent(control, forKey: .control)
            try container.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
            try container.encode(_environment, forKey: .environment)
            try container.encode(inheritEnvironment, forKey: .inheritEnvironment)
            try container.encode(stop, forKey: .stop)
            try container.encode(restart, forKey: .restart)
            try container.encode(logs, forKey: .logs)
            try container.encode(_samplingInterval, forKey: .samplingInterval)
            try container.encode(timestampsZone, forKey: .timestampsZone)
            try container.encodeIfPresent(report, forKey: .report)
            try container.encode(probes, forKey: .probes)
            try container.encode(logRules, forKey: .logRules)
            try container.encode(checks, forKey: .checks)
            try container.encode(health, forKey: .health)
            try container.encode(remediation, forKey: .remediation)
        }

        /// Names that work as a label value, a URL segment and a file name.
        static func isValidName(_ name: String) -> Bool {
            (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F || byte == 0x2D || byte == 0x2E
            }
        }

        /// Names a shell and `execve` agree on: letters, digits and `_`, not starting with a digit.
        static func isValidVariableName(_ name: String) -> Bool {
            guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
            return name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
        }
    }

    /// `stop:`: how the engine is asked to exit.
    public struct Stop: Sendable, Equatable, Encodable {
        public var signal = Signal.term
        /// After the stop signal the engine has 10 s to exit on its own before its group is killed.
        @DurationNotation public var gracePeriod: Duration = .seconds(10)
        /// Exit statuses that mean the engine stopped on purpose; none: 0 and 128 + the stop signal's number,
        /// the status of a program that exits the way a shell reports a death by that signal (freqtrade exits
        /// 130 on SIGTERM, many Node programs 143).
        public var cleanExitCodes: [Int32]?

        enum CodingKeys: String, CodingKey { case signal, gracePeriod = "grace_period", cleanExitCodes = "clean_exit_codes" }

        /// The statuses in force: the ones written, or the defaults for the stop signal.
        public var effectiveCleanExitCodes: Set<Int32> { Set(cleanExitCodes ?? [0, 128 + signal.number]) }
    }

    /// `restart:`: when a stopped engine is started again, how soon, and how often at most.
    public struct Restart: Sendable, Equatable, Encodable {
        public var mode = RestartMode.always
        @DurationNotation public var initialBackoff: Duration = .seconds(1)
        @NumberNotation public var multiplier = 2.0
        /// A failing engine is retried every 5 minutes at most.
        @DurationNotation public var maxBackoff: Duration = .seconds(300)
        @NumberNotation public var jitter = 0.1
        @DurationNotation public var resetAfter: Duration = .seconds(600)
        /// At most 10 restarts, counted per hour, then stop and call a human: restarting more hides a fault
        /// that a restart does not fix.
        public var budget = 10
        @DurationNotation public var budgetWindow: Duration = .seconds(3600)

        enum CodingKeys: String, CodingKey {
            case mode, initialBackoff = "initial_backoff", multiplier, maxBackoff = "max_backoff", jitter
            case resetAfter = "reset_after", budget, budgetWindow = "budget_window"
        }

        func validate() -> [ConfigProblem] {
            guard maxBackoff < initialBackoff else { return [] }
            return [ConfigProblem(CodingKeys.maxBackoff, "max_backoff (\(Units.formatDuration(maxBackoff))) is shorter than initial_backoff (\(Units.formatDuration(initialBackoff)))")]
        }
    }

    /// `logs:`: where the engine's output goes and how much of it is kept, and a file it writes itself.
    public struct Logs: Sendable, Equatable, Encodable {
        /// Relative to the config file's directory; none: `<state_dir>/logs/<name>.log`.
        public var file: String?
        /// A log file the engine (or its own supervisor) writes, read by the log rules as it grows, across
        /// rotations. Relative to the config file's directory; none: the rules read only captured output.
        public var follow: String?
        /// The output rotates at 10 MB and 5 files are kept: 50 MB of history at most.
        @ByteSizeNotation public var maxSize: Int64 = 10_000_000
        public var maxFiles = 5

        static let smallestMaxSize: Int64 = 1024

        enum CodingKeys: String, CodingKey { case file, follow, maxSize = "max_size", maxFiles = "max_files" }

        func validate() -> [ConfigProblem] {
            maxSize < Self.smallestMaxSize ? [ConfigProblem(CodingKeys.maxSize, "must be at least 1KiB")] : []
        }
    }
}
