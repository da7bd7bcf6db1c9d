/// Reading an engine's `remediation:`. Whether a policy's component is fed, and what an action names (a
/// probe, a command), is the second pass's.
extension ConfigFile.EngineRemediation {
    static func read(_ map: MappingReader) -> Self {
        var remediation = Self()
        remediation.preStop = map[CodingKeys.preStop]?.readMapping { ConfigFile.Action.read($0, allowed: [.http, .exec]) }
        var names: Set<String> = []
        for item in map[CodingKeys.policies]?.sequence() ?? [] {
            guard let policy = item.readMapping(ConfigFile.Policy.read) else { continue }
            if policy.location.couldRead(ConfigFile.Policy.CodingKeys.name), !names.insert(policy.name).inserted {
                item.fail("duplicate policy name \"\(policy.name)\"")
            }
            remediation.policies.append(policy)
        }
        for item in map[CodingKeys.alertmanager]?.sequence() ?? [] {
            if let mapping = item.readMapping(ConfigFile.AlertmanagerMapping.read) { remediation.alertmanager.append(mapping) }
        }
        return remediation
    }
}

extension ConfigFile.Policy {
    static func read(_ map: MappingReader) -> Self {
        let name = map.required(CodingKeys.name)?.string()
        let component = map.required(CodingKeys.component)?.oneOf(HealthComponent.self) { text in
            "unknown component \"\(text)\" (components: \(HealthComponent.allCases.map(\.rawValue).joined(separator: ", ")))"
        }
        var checks: [HealthCheck] = []
        for item in map[CodingKeys.checks]?.sequence() ?? [] {
            guard let check = item.oneOf(HealthCheck.self, { text in
                "unknown check \"\(text)\" (checks: \(HealthCheck.allCases.map(\.rawValue).joined(separator: ", ")))"
            }) else { continue }
            if let component, let owner = check.component, owner != component {
                item.fail("check \(check.rawValue) belongs to component \(owner.rawValue), not \(component.rawValue)")
            }
            if !checks.contains(check) { checks.append(check) }
        }
        let level = map[CodingKeys.level]?.level()
        if let level { map.report(validate(level: level)) }
        let holdFor = map[CodingKeys.holdFor]?.duration()
        let cooldown = map[CodingKeys.cooldown]?.duration()
        let budget = map[CodingKeys.budget]?.readMapping(ConfigFile.Budget.read)
        var ladder: [ConfigFile.Rung] = []
        if let rungs = map.required(CodingKeys.ladder, "a list of actions, tried in order")?.sequence() {
            ladder = rungs.compactMap { $0.readMapping(ConfigFile.Rung.read) }
            if rungs.isEmpty { map[CodingKeys.ladder]?.fail("a ladder needs at least one action") }
        }
        var policy = Self(name: name ?? "", component: component ?? .process, ladder: ladder)
        policy.location = map.location
        if name == nil { policy.location.markUnread(CodingKeys.name) }
        if component == nil { policy.location.markUnread(CodingKeys.component) }
        if ladder.isEmpty { policy.location.markUnread(CodingKeys.ladder) }
        policy.checks = checks
        policy.level = level ?? policy.level
        policy.holdFor = holdFor ?? policy.holdFor
        policy.cooldown = cooldown ?? policy.cooldown
        policy.budget = budget ?? policy.budget
        return policy
    }
}

extension ConfigFile.Rung {
    /// A ladder entry: the action's own mapping, with `verify_after` beside its kind.
    static func read(_ map: MappingReader) -> Self? {
        let verifyAfter = map[CodingKeys.verifyAfter]?.int(in: 1...1000)
        guard let action = ConfigFile.Action.read(map) else { return nil }
        var rung = Self(action: action)
        rung.verifyAfter = verifyAfter ?? rung.verifyAfter
        return rung
    }
}

extension ConfigFile.AlertmanagerMapping {
    static func read(_ map: MappingReader) -> Self {
        let alertname = map.required(CodingKeys.alertname)?.string()
        let labels = map[CodingKeys.labels]?.stringMap()
        let action = map.required(CodingKeys.action)?.readMapping { ConfigFile.Action.read($0) }
        let onResolved = map[CodingKeys.onResolved]?.bool()
        let cooldown = map[CodingKeys.cooldown]?.duration()
        var mapping = Self(alertname: alertname ?? "", action: action ?? .restart(.init()))
        mapping.location = map.location
        if alertname == nil { mapping.location.markUnread(CodingKeys.alertname) }
        if action == nil { mapping.location.markUnread(CodingKeys.action) }
        mapping.labels = labels ?? mapping.labels
        mapping.onResolved = onResolved ?? mapping.onResolved
        mapping.cooldown = cooldown ?? mapping.cooldown
        return mapping
    }
}

extension ConfigFile.Action {
    /// One of `restart`, `signal`, `http`, `exec` or `sql`, of those `allowed` here. The mapping may hold
    /// other keys too (a ladder rung's `verify_after`), which its reader asks for.
    static func read(_ map: MappingReader, allowed: [CodingKeys] = CodingKeys.allCases) -> Self? {
        let present = CodingKeys.allCases.filter(map.has)
        guard present.count == 1, let kind = present.first, allowed.contains(kind), let body = map[kind] else {
            for kind in present { _ = map[kind] }   // said once here, not again as unknown keys
            map.fail("expected exactly one action: \(allowed.map(\.stringValue).joined(separator: ", "))")
            return nil
        }
        switch kind {
        case .restart: return body.readMapping(Restart.read).map(Self.restart)
        case .signal:
            return body.parsed(Signal.init(parsing:)) { "unknown signal \"\($0)\"; use a name such as SIGHUP or SIGUSR1" }
                .map(Self.signal)
        case .http: return body.readMapping(HTTP.read).map(Self.http)
        case .exec: return body.readMapping(Exec.read).map(Self.exec)
        case .sql: return body.readMapping(SQL.read).map(Self.sql)
        }
    }
}

extension ConfigFile.Action.Restart {
    static func read(_ map: MappingReader) -> Self? {
        var restart = Self()
        restart.deferWhile = map[CodingKeys.deferWhile]?.readMapping(ConfigFile.ValueSource.read)
        restart.maxDefer = map[CodingKeys.maxDefer]?.duration() ?? restart.maxDefer
        return restart
    }
}

extension ConfigFile.Action.HTTP {
    static func read(_ map: MappingReader) -> Self? {
        let url = map.required(CodingKeys.url)?.httpURL()
        let method = (map[CodingKeys.method]?.string()).map { $0.uppercased() }
        if let method, !methods.contains(method) {
            map[CodingKeys.method]?.fail("expected GET, POST, PUT, PATCH or DELETE")
        }
        let headers = map[CodingKeys.headers]?.headers()
        let credentials = map.credentials(headers: headers)
        let body = map[CodingKeys.body]?.string(nonEmpty: false)
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false)
        guard let url else { return nil }
        var http = Self(url: url)
        http.method = method ?? http.method
        http.headers = headers ?? http.headers
        http.credentials = credentials
        http.body = body
        http.timeout = timeout ?? http.timeout
        return http
    }
}

extension ConfigFile.Action.Exec {
    static func read(_ map: MappingReader) -> Self? {
        let commandValue = map.required(CodingKeys.command)
        let command = commandValue?.argv(refusingShellStrings: "command must be a list of arguments; shell strings are not accepted")
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false)
        guard let command else { return nil }
        guard let program = command.first, !program.isEmpty else {
            commandValue?.fail("command must name a program")
            return nil
        }
        var exec = Self(command: command)
        exec.location = map.location
        exec.timeout = timeout ?? exec.timeout
        return exec
    }
}

extension ConfigFile.Action.SQL {
    static func read(_ map: MappingReader) -> Self? {
        let probe = map.required(CodingKeys.probe, "a sqlite probe with allow_writes: true")?.string()
        let statement = map.required(CodingKeys.statement)?.string()
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false)
        guard let probe, let statement else { return nil }
        var sql = Self(probe: probe, statement: statement)
        sql.location = map.location
        sql.timeout = timeout ?? sql.timeout
        return sql
    }
}
