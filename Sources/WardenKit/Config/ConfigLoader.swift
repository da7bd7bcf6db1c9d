import Foundation
import Yams

/// Reads and validates a config file: every problem is collected with its path and line, and all are
/// reported at once (`warden check-config` prints them like `promtool check config`).
public struct ConfigLoader {
    /// Where to look up bare command names; defaults to Warden's own PATH.
    public var searchPath: String
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
        self.searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    }

    public func load(file: String) throws(ConfigError) -> WardenConfig {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(issues: [ConfigIssue(file: file, path: "", line: nil, message: "cannot read the file")])
        }
        let baseDirectory = (absolute(file, relativeTo: FileManager.default.currentDirectoryPath) as NSString).deletingLastPathComponent
        return try parse(String(decoding: data, as: UTF8.self), file: file, baseDirectory: baseDirectory)
    }

    /// Parses YAML text; relative paths in it are taken relative to `baseDirectory`.
    public func parse(_ yaml: String, file: String, baseDirectory: String) throws(ConfigError) -> WardenConfig {
        let issues = IssueCollector(file: file)
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(issues: [ConfigIssue(file: file, path: "", line: nil, message: "the file is empty")])
            }
            root = node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(issues: [Self.syntaxIssue(error, file: file)])
        }
        let config = read(root: YAMLValue(node: root, path: "", issues: issues), base: baseDirectory)
        if !issues.issues.isEmpty || config == nil {
            throw ConfigError(issues: issues.issues)
        }
        return config!
    }

    private func read(root: YAMLValue, base: String) -> WardenConfig? {
        guard let top = root.mapping() else { return nil }
        defer { top.finish() }

        let listen = top["listen"].flatMap { value -> ListenAddress? in
            guard let text = value.string() else { return nil }
            guard let address = ListenAddress(parsing: text) else {
                value.fail("invalid address \"\(text)\": expected host:port, such as 127.0.0.1:9780")
                return nil
            }
            return address
        } ?? ListenAddress(host: Defaults.listenHost, port: Defaults.listenPort)

        let stateDirectory = absolute(top["state_dir"]?.string() ?? Defaults.stateDirectory, relativeTo: base)
        let adminToken = top["admin_token"].flatMap { secret($0, base: base) }
        if adminToken == nil, !listen.isLoopback {
            top["listen"]?.fail("listening on \(listen.host), which is not loopback, requires admin_token: the restart endpoint would otherwise be open to the network")
        }

        let remediation = remediationSettings(top["remediation"])
        let alerts = self.alerts(top["alerts"], base: base)
        var engines: [EngineConfig] = []
        defer {
            if listen.port == 0, engines.contains(where: { $0.watch.report != nil }) {
                top["listen"]?.fail("engines that push reports need a fixed port to send them to, not port 0")
            }
        }
        if let list = top["engines"]?.sequence() {
            var names: [String: Int] = [:]
            for item in list {
                guard let engine = engine(item, base: base, stateDirectory: stateDirectory) else { continue }
                if let firstLine = names[engine.name] {
                    item.fail("duplicate engine name \"\(engine.name)\" (first defined on line \(firstLine))")
                } else {
                    names[engine.name] = item.line ?? 0
                    engines.append(engine)
                }
            }
            if list.isEmpty { top["engines"]?.fail("at least one engine is required") }
        } else if !top.has("engines") {
            top.fail("missing required key \"engines\"")
        }
        return WardenConfig(listen: listen, stateDirectory: stateDirectory, adminToken: adminToken, remediation: remediation,
                            alerts: alerts, engines: engines)
    }

    /// `{file: PATH}` (relative to the config's directory) or `{env: VARIABLE}`; never the secret itself.
    func secret(_ value: YAMLValue, base: String) -> SecretSource? {
        if case .scalar = value.node {
            value.fail("inline secrets are not accepted; use {file: PATH} or {env: VARIABLE}")
            return nil
        }
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let file = map["file"]?.string()
        let env = map["env"]?.string()
        switch (file, env) {
        case (let file?, nil): return .file(absolute(file, relativeTo: base))
        case (nil, let env?): return .environment(env)
        case (.some, .some): map.fail("give either file or env, not both"); return nil
        case (nil, nil): map.fail("expected file: PATH or env: VARIABLE"); return nil
        }
    }

    /// An http:// or https:// URL with a host.
    func httpURL(_ value: YAMLValue) -> URL? {
        guard let text = value.string() else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            value.fail("expected an http:// or https:// URL")
            return nil
        }
        return url
    }

    private func engine(_ value: YAMLValue, base: String, stateDirectory: String) -> EngineConfig? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }

        let name = map["name"].flatMap { value -> String? in
            guard let name = value.string() else { return nil }
            guard Self.isValidName(name) else {
                value.fail("invalid engine name \"\(name)\": use 1 to 64 letters, digits, '_', '-' or '.'")
                return nil
            }
            return name
        }
        if !map.has("name") { map.fail("missing required key \"name\"") }

        let workingDirectoryValue = map["working_dir"]
        let workingDirectory = absolute(workingDirectoryValue?.string() ?? ".", relativeTo: base)
        if let workingDirectoryValue {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: workingDirectory, isDirectory: &isDirectory) || !isDirectory.boolValue {
                workingDirectoryValue.fail("directory \(workingDirectory) does not exist")
            }
        }
        let environmentValue = map["env"]
        let environment = environmentValue?.stringMap() ?? [:]
        for name in environment.keys.sorted() where !Self.isValidVariableName(name) {
            environmentValue?.fail("invalid environment variable name \"\(name)\": use letters, digits and _, not starting with a digit")
        }
        let inheritEnvironment = map["inherit_env"]?.bool() ?? true

        var executable: String?
        let commandValue = map["command"]
        let command = commandValue.flatMap { value -> [String]? in
            if case .scalar = value.node {
                value.fail("command must be a list of arguments, such as [\"python3\", \"bot.py\"]; shell strings are not accepted")
                return nil
            }
            guard let argv = value.stringList() else { return nil }
            guard let program = argv.first, !program.isEmpty else {
                value.fail("command must name a program")
                return nil
            }
            let path = inheritEnvironment ? (environment["PATH"] ?? searchPath) : (environment["PATH"] ?? "")
            executable = resolveExecutable(program, workingDirectory: workingDirectory, searchPath: path)
            if executable == nil {
                value.fail("command \"\(program)\" not found\(program.contains("/") ? " or not executable" : " in PATH")")
            }
            return argv
        }
        if commandValue == nil && !map.has("command") { map.fail("missing required key \"command\"") }

        let stop = map["stop"].flatMap { stopPolicy($0) } ?? StopPolicy(signal: Signal(parsing: Defaults.stopSignal)!,
                                                                         gracePeriod: Defaults.gracePeriod)
        let restart = map["restart"].flatMap { restartPolicy($0) } ?? Self.defaultRestart
        let logFile = stateDirectory + "/logs/\(name ?? "engine").log"
        let logs = map["logs"].flatMap { logPolicy($0, base: base, defaultFile: logFile) }
            ?? LogPolicy(file: logFile, maxBytes: Defaults.logMaxBytes, maxFiles: Defaults.logMaxFiles)
        let sampling = map["sampling_interval"].flatMap { $0.duration(allowZero: false) } ?? Defaults.samplingInterval

        let watch = self.watch(map, base: base, workingDirectory: workingDirectory)
        let health = self.health(map["health"])
        let remediation = self.remediation(map["remediation"], watch: watch, workingDirectory: workingDirectory,
                                           environment: inheritEnvironment ? environment : [:])

        guard let name, let command, let executable else { return nil }
        var engine = EngineConfig(name: name, command: command, executable: executable, workingDirectory: workingDirectory,
                                  environment: environment, inheritEnvironment: inheritEnvironment, stop: stop,
                                  restart: restart, logs: logs, samplingInterval: sampling)
        engine.watch = watch
        engine.health = health
        engine.remediation = remediation
        return engine
    }

    static let defaultRestart = RestartPolicy(
        mode: Defaults.restartMode,
        backoff: Backoff(initial: Defaults.initialBackoff, multiplier: Defaults.backoffMultiplier,
                         maximum: Defaults.maxBackoff, jitter: Defaults.backoffJitter, resetAfter: Defaults.resetBackoffAfter),
        budget: RestartBudget(limit: Defaults.restartBudget, window: Defaults.restartBudgetWindow))

    private func stopPolicy(_ value: YAMLValue) -> StopPolicy? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let signal = map["signal"].flatMap { value -> Signal? in
            guard let text = value.string() else { return nil }
            guard let signal = Signal(parsing: text), signal != .kill else {
                value.fail("invalid stop signal \"\(text)\": expected a catchable signal name such as SIGTERM or SIGINT")
                return nil
            }
            return signal
        } ?? Signal(parsing: Defaults.stopSignal)!
        let grace = map["grace_period"].flatMap { $0.duration() } ?? Defaults.gracePeriod
        return StopPolicy(signal: signal, gracePeriod: grace)
    }

    private func restartPolicy(_ value: YAMLValue) -> RestartPolicy? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let defaults = Self.defaultRestart
        let mode = map["mode"].flatMap { value -> RestartMode? in
            guard let text = value.string() else { return nil }
            guard let mode = RestartMode(rawValue: text) else {
                value.fail("invalid restart mode \"\(text)\": expected one of \(RestartMode.allCases.map(\.rawValue).joined(separator: ", "))")
                return nil
            }
            return mode
        } ?? defaults.mode
        var backoff = defaults.backoff
        backoff.initial = map["initial_backoff"]?.duration() ?? backoff.initial
        backoff.multiplier = map["multiplier"]?.double(in: 1...100) ?? backoff.multiplier
        backoff.maximum = map["max_backoff"]?.duration() ?? backoff.maximum
        backoff.jitter = map["jitter"]?.double(in: 0...1) ?? backoff.jitter
        backoff.resetAfter = map["reset_after"]?.duration() ?? backoff.resetAfter
        if backoff.maximum < backoff.initial {
            map["max_backoff"]?.fail("max_backoff (\(Units.formatDuration(backoff.maximum))) is shorter than initial_backoff (\(Units.formatDuration(backoff.initial)))")
        }
        var budget = defaults.budget
        budget.limit = map["budget"]?.int(in: 0...100_000) ?? budget.limit
        budget.window = map["budget_window"]?.duration(allowZero: false) ?? budget.window
        return RestartPolicy(mode: mode, backoff: backoff, budget: budget)
    }

    private func logPolicy(_ value: YAMLValue, base: String, defaultFile: String) -> LogPolicy? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let file = map["file"]?.string().map { absolute($0, relativeTo: base) } ?? defaultFile
        var maxBytes = map["max_size"]?.byteSize() ?? Defaults.logMaxBytes
        if maxBytes < 1024 {
            map["max_size"]?.fail("must be at least 1KiB")
            maxBytes = Defaults.logMaxBytes
        }
        let maxFiles = map["max_files"]?.int(in: 1...1000) ?? Defaults.logMaxFiles
        return LogPolicy(file: file, maxBytes: maxBytes, maxFiles: maxFiles)
    }

    static func isValidVariableName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(0x30...0x39).contains(first) else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }

    static func isValidName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D || byte == 0x2E
        }
    }

    /// argv[0] as a path to an executable file: relative to the working directory when it contains a slash,
    /// else the first match in PATH.
    func resolveExecutable(_ program: String, workingDirectory: String, searchPath: String) -> String? {
        let candidates = program.contains("/")
            ? [absolute(program, relativeTo: workingDirectory)]
            : searchPath.split(separator: ":").map { "\($0)/\(program)" }
        return candidates.first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && access(path, X_OK) == 0
        }
    }

    func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }

    /// Never quotes the document: Yams puts the whole YAML text in some errors, and a config may hold
    /// secrets in an engine's `env`.
    static func syntaxIssue(_ error: any Error, file: String) -> ConfigIssue {
        guard let error = error as? YamlError else {
            return ConfigIssue(file: file, path: "", line: nil, message: "YAML error")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigIssue(file: file, path: "", line: mark.line, message: "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigIssue(file: file, path: "", line: context.mark.line, message: "duplicate key \(keys) in one mapping")
        case .reader(let problem, _, _, _):
            return ConfigIssue(file: file, path: "", line: nil, message: "cannot read the file as YAML: \(problem)")
        default:
            return ConfigIssue(file: file, path: "", line: nil, message: "YAML error")
        }
    }
}
