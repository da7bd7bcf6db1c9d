extension ConfigFile.Engine {
    static func read(_ map: MappingReader) -> Self {
        let name = map.required(CodingKeys.name).flatMap { value -> String? in
            guard let name = value.string() else { return nil }
            guard isValidName(name) else {
                value.fail("invalid engine name \"\(name)\": use 1 to 64 letters, digits, '_', '-' or '.'")
                return nil
            }
            return name
        }
        let workingDirectory = map[CodingKeys.workingDirectory]?.string()
        let environmentValue = map[CodingKeys.environment]
        let environment = environmentValue?.stringMap()
        for name in (environment ?? [:]).keys.sorted() where !isValidVariableName(name) {
            environmentValue?.fail("invalid environment variable name \"\(name)\": use letters, digits and _, not starting with a digit")
        }
        let inheritEnvironment = map[CodingKeys.inheritEnvironment]?.bool()
        let attach = map[CodingKeys.attach]?.readMapping(ConfigFile.Attach.read)
        let control = map[CodingKeys.control]?.readMapping(ConfigFile.Control.read)
        switch (map.mentions(CodingKeys.command), map.mentions(CodingKeys.attach)) {
        case (true, true):
            map.fail("give either command (Warden starts the engine) or attach (another supervisor runs it), not both")
        case (false, false):
            map.fail("missing required key \"command\" (Warden starts the engine) or \"attach\" (another supervisor runs it)")
        case (true, false) where map.mentions(CodingKeys.control):
            map[CodingKeys.control]?.fail("control acts on an attached engine; Warden runs this one itself")
        default:
            break
        }
        let command = !map.mentions(CodingKeys.command) ? nil : map[CodingKeys.command].flatMap { value -> [String]? in
            let shellString = "command must be a list of arguments, such as [\"python3\", \"bot.py\"]; shell strings are not accepted"
            guard let argv = value.argv(refusingShellStrings: shellString) else { return nil }
            guard let program = argv.first, !program.isEmpty else {
                value.fail("command must name a program")
                return nil
            }
            return argv
        }

        var engine = Self(name: name ?? "", command: command ?? [])
        engine.attach = attach
        engine.control = control
        engine.location = map.location
        if name == nil { engine.location.markUnread(CodingKeys.name) }
        if command == nil && attach == nil { engine.location.markUnread(CodingKeys.command) }
        engine.workingDirectory = workingDirectory
        engine.environment = environment ?? engine.environment
        engine.inheritEnvironment = inheritEnvironment ?? engine.inheritEnvironment
        if let stop = map[CodingKeys.stop]?.readMapping(ConfigFile.Stop.read) { engine.stop = stop }
        if let restart = map[CodingKeys.restart]?.readMapping(ConfigFile.Restart.read) { engine.restart = restart }
        if let logs = map[CodingKeys.logs]?.readMapping(ConfigFile.Logs.read) { engine.logs = logs }
        engine.samplingInterval = map[CodingKeys.samplingInterval]?.duration(allowZero: false) ?? engine.samplingInterval

        engine.readWatch(map)
        if let health = map[CodingKeys.health]?.readMapping(ConfigFile.Health.read) { engine.health = health }
        if let remediation = map[CodingKeys.remediation]?.readMapping(ConfigFile.EngineRemediation.read) { engine.remediation = remediation }
        return engine
    }
}

extension ConfigFile.Stop {
    static func read(_ map: MappingReader) -> Self? {
        var stop = Self()
        let catchable = { (text: String) in Signal(parsing: text).flatMap { $0 == .kill ? nil : $0 } }
        stop.signal = map[CodingKeys.signal]?.parsed(catchable) {
            "invalid stop signal \"\($0)\": expected a catchable signal name such as SIGTERM or SIGINT"
        } ?? stop.signal
        stop.gracePeriod = map[CodingKeys.gracePeriod]?.duration() ?? stop.gracePeriod
        if let codes = map[CodingKeys.cleanExitCodes]?.sequence() {
            let read = codes.compactMap { $0.int(in: 0...255).map(Int32.init) }
            if codes.isEmpty {
                map[CodingKeys.cleanExitCodes]?.fail("expected at least one exit status, such as [0]")
            } else if read.count == codes.count {
                stop.cleanExitCodes = read
            }
        }
        return stop
    }
}

extension ConfigFile.Restart {
    static func read(_ map: MappingReader) -> Self? {
        var restart = Self()
        restart.mode = map[CodingKeys.mode]?.oneOf(RestartMode.self) { text in
            "invalid restart mode \"\(text)\": expected one of \(RestartMode.allCases.map(\.rawValue).joined(separator: ", "))"
        } ?? restart.mode
        restart.initialBackoff = map[CodingKeys.initialBackoff]?.duration() ?? restart.initialBackoff
        restart.multiplier = map[CodingKeys.multiplier]?.double(in: 1...100) ?? restart.multiplier
        restart.maxBackoff = map[CodingKeys.maxBackoff]?.duration() ?? restart.maxBackoff
        restart.jitter = map[CodingKeys.jitter]?.double(in: 0...1) ?? restart.jitter
        restart.resetAfter = map[CodingKeys.resetAfter]?.duration() ?? restart.resetAfter
        map.report(restart.validate())
        restart.budget = map[CodingKeys.budget]?.int(in: 0...100_000) ?? restart.budget
        restart.budgetWindow = map[CodingKeys.budgetWindow]?.duration(allowZero: false) ?? restart.budgetWindow
        return restart
    }
}

extension ConfigFile.Logs {
    static func read(_ map: MappingReader) -> Self? {
        var logs = Self()
        logs.file = map[CodingKeys.file]?.string()
        logs.follow = map[CodingKeys.follow]?.string()
        logs.maxSize = map[CodingKeys.maxSize]?.byteSize() ?? logs.maxSize
        map.report(logs.validate())
        logs.maxFiles = map[CodingKeys.maxFiles]?.int(in: 1...1000) ?? logs.maxFiles
        return logs
    }
}

extension ConfigFile.Attach {
    /// Exactly one of `pidfile: PATH`, `process: {match, user}`, `none: true`; and `interval`.
    static func read(_ map: MappingReader) -> Self? {
        var targets: [Target] = []
        if let path = map[CodingKeys.pidfile]?.string() { targets.append(.pidfile(path)) }
        if let process = map[CodingKeys.process]?.readMapping({ process -> Target? in
            let matchValue = process.required(ProcessKeys.match, "a POSIX extended regular expression for the command line")
            let match = matchValue?.string()
            if let match, let matchValue {
                do { _ = try LinePattern(match) } catch { matchValue.fail("\(error)") }
            }
            let user = process[ProcessKeys.user]?.string()
            return match.map { .process(match: $0, user: user) }
        }) {
            targets.append(process)
        }
        if let none = map[CodingKeys.none]?.bool() {
            if none { targets.append(.none) } else { map[CodingKeys.none]?.fail("none: true, or leave it out") }
        }
        let given = [CodingKeys.pidfile, .process, .none].filter(map.has).count
        guard given == 1 else {
            map.fail("attach needs exactly one of pidfile: PATH, process: {match: REGEX} or none: true")
            return nil
        }
        guard let target = targets.first else { return nil }
        var attach = Self(target)
        attach.interval = map[CodingKeys.interval]?.duration(allowZero: false) ?? attach.interval
        return attach
    }
}

extension ConfigFile.Control {
    static func read(_ map: MappingReader) -> Self {
        var control = Self()
        func argv(_ key: CodingKeys) -> [String]? {
            guard let value = map[key] else { return nil }
            let argv = value.argv(refusingShellStrings: "\(key.stringValue) must be a list of arguments, such as [\"supervisorctl\", \"restart\", \"bot\"]")
            if let argv, argv.first?.isEmpty != false {
                value.fail("\(key.stringValue) must name a program")
                return nil
            }
            return argv
        }
        control.restart = argv(.restart)
        control.stop = argv(.stop)
        control.start = argv(.start)
        control.timeout = map[CodingKeys.timeout]?.duration(allowZero: false) ?? control.timeout
        map.report(control.validate())
        return control
    }
}
