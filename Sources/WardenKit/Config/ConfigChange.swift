/// What a reload changes, from the model Warden runs with to the model read now, and so what it must disturb.
///
/// The rule a person can predict: an engine is restarted (gracefully, that engine only) when *how it is run*
/// changed — its command, working directory, environment, whether it inherits Warden's environment, where its
/// output goes, or whether it pushes reports (its environment carries the report URL). An attached engine is
/// never restarted by a reload: a new pidfile, process match or control command is taken in place. How it is stopped and
/// restarted applies to the running process in place. How it is watched, judged and repaired (probes, log
/// rules, checks, health, remediation, sampling) and every Warden-wide section but three change without
/// restarting any engine. `instance`, `listen`, `state_dir`, `admin_token`, `web` and `heartbeat` are read once, when Warden starts: a reload
/// that changes them applies everything else and says that those wait for a restart of Warden; so does `instance`,
/// the name every message and series of this Warden carries.
public struct ConfigChange: Sendable, Equatable {
    /// Engines new in the file: started.
    public var added: [String] = []
    /// Engines gone from the file: stopped gracefully.
    public var removed: [String] = []
    /// Engines whose way of running changed: restarted gracefully.
    public var restarted: [String] = []
    /// Attached engines whose pidfile, process match or control changed: their watcher takes it in place.
    public var reattached: [String] = []
    /// Engines whose stop or restart settings changed, applied to the running process.
    public var resupervised: [String] = []
    /// Engines whose watching, judging or repair changed; nothing about their process does.
    public var rewatched: [String] = []
    /// Warden-wide sections that changed (`alerts`, `remediation`).
    public var sections: [String] = []
    /// Keys that only a restart of Warden applies; the running values stay until then.
    public var waitingForRestart: [String] = []

    public init(from old: ConfigFile, to new: ConfigFile) {
        let before = old.enginesByName
        let after = Set(new.engines.map(\.name))
        removed = old.engines.map(\.name).filter { !after.contains($0) }
        for engine in new.engines {
            guard let previous = before[engine.name] else {
                added.append(engine.name)
                continue
            }
            if previous.watching != engine.watching { rewatched.append(engine.name) }
            // Started by Warden, or found: the engine's runner is one or the other for as long as Warden runs.
            guard previous.isAttached == engine.isAttached else {
                waitingForRestart.append("engines[\(engine.name)]: command or attach")
                continue
            }
            if previous.launch != engine.launch {
                // Nothing of an attached engine's is Warden's to restart: its watcher takes the change in place.
                if engine.isAttached { reattached.append(engine.name) } else { restarted.append(engine.name) }
            }
            if previous.stop != engine.stop || previous.restart != engine.restart { resupervised.append(engine.name) }
        }
        if old.alerts != new.alerts { sections.append("alerts") }
        if old.remediation != new.remediation { sections.append("remediation") }
        waitingForRestart = new.startupKeysChanged(from: old) + waitingForRestart
    }

    /// Nothing Warden runs with differs.
    public var isEmpty: Bool {
        added.isEmpty && removed.isEmpty && restarted.isEmpty && reattached.isEmpty && resupervised.isEmpty && rewatched.isEmpty
            && sections.isEmpty && waitingForRestart.isEmpty
    }

    /// One line for the log and the reload's answer: "engines added: a; restarted: b; ..." or "nothing changed".
    public var summary: String {
        let parts: [(String, [String])] = [
            ("engines added", added), ("removed", removed), ("restarted", restarted), ("found anew", reattached),
            ("stop or restart settings applied", resupervised), ("watching changed", rewatched),
            ("sections changed", sections), ("waiting for a restart of Warden", waitingForRestart),
        ]
        let said = parts.filter { !$0.1.isEmpty }.map { "\($0.0): \($0.1.joined(separator: ", "))" }
        return said.isEmpty ? "nothing changed" : said.joined(separator: "; ")
    }
}

extension ConfigFile {
    /// The keys read only when Warden starts that differ from `running`'s, by name.
    func startupKeysChanged(from running: ConfigFile) -> [String] {
        [(CodingKeys.instance, instance != running.instance), (.listen, listen != running.listen),
         (.stateDirectory, stateDirectory != running.stateDirectory), (.adminToken, adminToken != running.adminToken),
         (.web, web != running.web), (.heartbeat, heartbeat != running.heartbeat)]
            .filter(\.1).map(\.0.stringValue)
    }

    /// The engines by name; the first of a name wins (the loader refuses a second).
    var enginesByName: [String: Engine] {
        Dictionary(engines.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Takes the keys read only when Warden starts from `running`: what a reload leaves as they are. Among them,
    /// whether a kept engine is started or found: its runner is one or the other for as long as Warden runs, so
    /// an engine the file switches keeps running (`command`) or being found (`attach`, `control`) as before.
    mutating func keepStartupKeys(of running: ConfigFile) {
        instance = running.instance
        listen = running.listen
        stateDirectory = running.stateDirectory
        adminToken = running.adminToken
        web = running.web
        heartbeat = running.heartbeat
        let before = running.enginesByName
        for index in engines.indices {
            guard let previous = before[engines[index].name], previous.isAttached != engines[index].isAttached else { continue }
            engines[index].command = previous.command
            engines[index].attach = previous.attach
            engines[index].control = previous.control
        }
    }
}

extension ConfigFile.Engine {
    /// Found (`attach`) rather than started (`command`): one or the other for as long as Warden runs.
    var isAttached: Bool { attach != nil }

    /// How the process is run: a change restarts the engine.
    struct Launch: Equatable {
        var command: [String]
        var workingDirectory: String?
        var environment: [String: String]
        var inheritEnvironment: Bool
        var logs: ConfigFile.Logs
        var pushesReports: Bool
        /// How an attached engine is found and acted on: a change is taken by its watcher in place.
        var attach: ConfigFile.Attach?
        var control: ConfigFile.Control?
    }

    var launch: Launch {
        var output = logs
        output.follow = nil   // what the rules read, not where the output goes
        return Launch(command: command, workingDirectory: workingDirectory, environment: environment,
                      inheritEnvironment: inheritEnvironment, logs: output, pushesReports: report != nil, attach: attach,
                      control: control)
    }

    /// Everything else but the name, the stop and the restart settings: what Warden watches in the engine,
    /// how it judges and repairs it.
    var watching: ConfigFile.Engine {
        var watching = self
        watching.command = []
        watching.attach = nil
        watching.control = nil
        watching.workingDirectory = nil
        watching.environment = [:]
        watching.inheritEnvironment = true
        watching.logs = ConfigFile.Logs()
        watching.logs.follow = logs.follow
        watching.stop = ConfigFile.Stop()
        watching.restart = ConfigFile.Restart()
        return watching
    }
}
