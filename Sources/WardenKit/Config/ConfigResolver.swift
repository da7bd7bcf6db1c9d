import Foundation

/// What the second pass asks of the host it runs on.
struct HostFiles: Sendable {
    var isDirectory: @Sendable (String) -> Bool
    /// A regular file this process may execute.
    var isExecutableFile: @Sendable (String) -> Bool
    /// A regular file this process may read.
    var isReadableFile: @Sendable (String) -> Bool = { path in
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
            && access(path, R_OK) == 0
    }

    /// The permission bits of a file that every user of the host may read: readable by others, in directories
    /// they may all pass through (a 0644 file in a 0750 directory is not); nil for any other file, or none.
    var modeIfReadableByEveryone: @Sendable (String) -> mode_t? = { path in
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o004 != 0 else { return nil }
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty {
            var entered = stat()
            guard stat(directory, &entered) == 0, entered.st_mode & 0o001 != 0 else { return nil }
            if directory == "/" { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return info.st_mode & 0o777
    }

    static let local = HostFiles(
        isDirectory: { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        },
        isExecutableFile: { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && access(path, X_OK) == 0
        })
}

/// The loader's second pass: checks what the model's parts refer to (probes, log rules, fed components),
/// makes every path absolute, finds every command, and converts the model into the runtime's `WardenConfig`.
/// Problems are reported at the model's locations, with the first pass's. It runs on whatever the first pass
/// could read: an entry the first pass left out is not checked here, and one it kept with placeholders
/// (`ConfigLocation.unread`) is checked but not converted.
struct ConfigResolver {
    /// The config file's directory: relative paths in the file start here.
    let base: String
    /// PATH for commands of engines that inherit Warden's environment.
    let searchPath: String
    let host: HostFiles
    let issues: IssueCollector

    /// The runtime config; an engine that could not be converted is left out of it, and the problems say why.
    func resolve(_ file: ConfigFile) -> WardenConfig {
        let stateDirectory = Self.absolute(file.stateDirectory, relativeTo: base)
        let engines = file.engines.compactMap { resolve($0, stateDirectory: stateDirectory) }
        if file.listen.port == 0, engines.contains(where: { $0.watch.report != nil }) {
            issues.report("engines that push reports need a fixed port to send them to, not port 0", at: file.location,
                          key: ConfigFile.CodingKeys.listen.stringValue)
        }
        var config = WardenConfig(listen: file.listen, stateDirectory: stateDirectory, adminToken: file.adminToken.map {
            resolve($0, at: file.location, key: ConfigFile.CodingKeys.adminToken.stringValue)
        },
                                  engines: engines)
        if let instance = file.instance { config.instance = instance }
        config.web = resolve(file.web)
        config.heartbeat = file.heartbeat.map { heartbeat in
            var failURL = heartbeat.failURL
            typealias Keys = ConfigFile.Heartbeat.CodingKeys
            if case .url(let url) = failURL {
                failURL = .url(url.mapSecret { resolve($0, at: heartbeat.location, key: Keys.failURL.stringValue) })
            }
            let url = heartbeat.url.mapSecret { resolve($0, at: heartbeat.location, key: Keys.url.stringValue) }
            return HeartbeatSettings(url: url, failURL: failURL, interval: heartbeat.interval,
                                     method: heartbeat.method, maxLevel: heartbeat.maxLevel, timeout: heartbeat.timeout)
        }
        config.remediation.dryRun = file.remediation.dryRun
        config.remediation.budget = file.remediation.budget.ledger
        config.alerts = resolve(file.alerts, at: file.location)
        return config
    }

    private func resolve(_ engine: ConfigFile.Engine, stateDirectory: String) -> EngineConfig? {
        typealias Keys = ConfigFile.Engine.CodingKeys
        let workingDirectory = Self.absolute(engine.workingDirectory ?? ".", relativeTo: base)
        if engine.workingDirectory != nil, !host.isDirectory(workingDirectory) {
            issues.report("directory \(workingDirectory) does not exist", at: engine.location, key: Keys.workingDirectory.stringValue)
        }
        let environment = engine.environment
        let commandPath = engine.inheritEnvironment ? (environment["PATH"] ?? searchPath) : (environment["PATH"] ?? "")
        let executable = engine.attach != nil || !engine.location.couldRead(Keys.command) ? nil
            : executable(engine.command, workingDirectory: workingDirectory, searchPath: commandPath,
                         at: engine.location, key: Keys.command.stringValue)
        let attached = engine.attach.map { attachment($0, control: engine.control, engine: engine,
                                                      workingDirectory: workingDirectory, searchPath: commandPath) }

        let watch = resolveWatch(of: engine, workingDirectory: workingDirectory)
        // `exec` actions look commands up in the engine's PATH when it inherits Warden's environment.
        let actionPath = (engine.inheritEnvironment ? environment["PATH"] : nil) ?? searchPath
        let remediation = resolve(engine.remediation, of: engine, watch: watch, workingDirectory: workingDirectory,
                                  searchPath: actionPath)
        guard engine.location.isComplete,
              let launch = attached.map(EngineLaunch.attach) ?? executable.map({ .command(argv: engine.command, executable: $0) })
        else { return nil }

        let restart = engine.restart
        let logFile = engine.logs.file.map { Self.absolute($0, relativeTo: base) } ?? stateDirectory + "/logs/\(engine.name).log"
        let follow = engine.logs.follow.map { Self.absolute($0, relativeTo: base) }
        if let follow, follow == logFile, engine.attach == nil {
            // Every captured line would come back through the rules a second time, and so on without end.
            issues.report("logs.follow names the file Warden writes the engine's own output to (\(follow))",
                          at: engine.location, key: Keys.logs.stringValue)
        }
        var config = EngineConfig(
            name: engine.name, launch: launch, workingDirectory: workingDirectory,
            environment: environment, inheritEnvironment: engine.inheritEnvironment,
            stop: StopPolicy(signal: engine.stop.signal, gracePeriod: engine.stop.gracePeriod,
                             cleanExitCodes: engine.stop.effectiveCleanExitCodes),
            restart: RestartPolicy(
                mode: restart.mode,
                backoff: Backoff(initial: restart.initialBackoff, multiplier: restart.multiplier, maximum: restart.maxBackoff,
                                 jitter: restart.jitter, resetAfter: restart.resetAfter),
                budget: RestartBudget(limit: restart.budget, window: restart.budgetWindow)),
            logs: LogPolicy(file: logFile, maxBytes: engine.logs.maxSize, maxFiles: engine.logs.maxFiles, follow: follow),
            samplingInterval: engine.samplingInterval)
        config.watch = watch
        config.health = HealthSettings(engine.health, checks: engine.checks)
        config.remediation = remediation
        return config
    }

    /// How an attached engine is found (a relative pidfile is the working directory's), and its control commands
    /// with their programs found on this host.
    private func attachment(_ attach: ConfigFile.Attach, control: ConfigFile.Control?, engine: ConfigFile.Engine,
                            workingDirectory: String, searchPath: String) -> Attachment {
        var target = attach.target
        if case .pidfile(let path) = target { target = .pidfile(Self.absolute(path, relativeTo: workingDirectory)) }
        // Every command is looked up, so that one run names every program missing on this host.
        let found = [control?.restart, control?.stop, control?.start].map { argv in
            argv.flatMap { argv in
                executable(argv, workingDirectory: workingDirectory, searchPath: searchPath, at: engine.location,
                           key: ConfigFile.Engine.CodingKeys.control.stringValue).map { [$0] + argv.dropFirst() }
            }
        }
        var resolved = ConfigFile.Control()
        (resolved.restart, resolved.stop, resolved.start) = (found[0], found[1], found[2])
        return Attachment(target: target, interval: attach.interval, restartSequence: resolved.restartSequence,
                          controlTimeout: control?.timeout ?? ConfigFile.Control().timeout)
    }

    /// A secret's file made absolute, and named in a warning at `key` of `location` (the key that holds the
    /// reference, or the list of the entry that does) when every user of the host can read it.
    func resolve(_ secret: SecretSource, at location: ConfigLocation, key: String) -> SecretSource {
        guard case .file(let path) = secret else { return secret }
        let absolute = Self.absolute(path, relativeTo: base)
        warnIfReadableByEveryone(absolute, holding: "secret file", at: location, key: key)
        return .file(absolute)
    }

    /// A file holding a secret that every local user can read is a warning, not a problem: Warden still runs,
    /// since refusing would take monitoring down over a chmod. Group-readable files (root:warden 0640) are a
    /// normal deployment and pass. The message names the file, never its contents.
    func warnIfReadableByEveryone(_ path: String, holding what: String, at location: ConfigLocation, key: String) {
        guard let mode = host.modeIfReadableByEveryone(path) else { return }
        issues.warn("\(what) \(path) is readable by every user on this host (mode \(String(mode, radix: 8))); chmod o-r it",
                    at: location, key: key)
    }

    /// argv[0] as a path to an executable file: relative to the working directory when it contains a slash,
    /// else the first match in `searchPath`. Reported at `key` when there is none.
    func executable(_ command: [String], workingDirectory: String, searchPath: String, at location: ConfigLocation,
                    key: String) -> String? {
        guard let program = command.first else { return nil }
        let candidates = program.contains("/")
            ? [Self.absolute(program, relativeTo: workingDirectory)]
            : searchPath.split(separator: ":").map { "\($0)/\(program)" }
        guard let found = candidates.first(where: host.isExecutableFile) else {
            issues.report("command \"\(program)\" not found\(program.contains("/") ? " or not executable" : " in PATH")",
                          at: location, key: key)
            return nil
        }
        return found
    }

    static func absolute(_ path: String, relativeTo base: String) -> String {
        let joined = path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
        return (joined as NSString).standardizingPath
    }
}

extension HealthSettings {
    /// `checks` gives the bounds of the checks judged per entry: each rate's, and each state's level.
    init(_ health: ConfigFile.Health, checks: ConfigFile.Checks) {
        self.init()
        evaluateEvery = health.evaluateEvery
        escalateAfter = health.escalateAfter
        recoverAfter = health.recoverAfter
        startupGrace = health.startupGrace
        staleInputAfter = health.staleInputAfter
        thresholds = health.thresholds
        for rate in checks.rates { entryThresholds[.counterRate, default: [:]][rate.name] = rate.threshold }
        for state in checks.states {
            entryThresholds[.engineState, default: [:]][state.name] = Threshold(
                degraded: state.level == .degraded ? 1 : nil, unhealthy: state.level == .unhealthy ? 1 : nil,
                critical: state.level == .critical ? 1 : nil)
        }
    }
}
