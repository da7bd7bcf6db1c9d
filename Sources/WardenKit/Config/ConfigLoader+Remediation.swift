import Foundation

/// Reading `health:` and `remediation:` of an engine, and Warden's own `remediation:`.
extension ConfigLoader {
    static let defaultPolicyCooldown: Duration = .seconds(300)
    static let defaultPolicyBudget = BudgetLedger.Budget(limit: 6, window: .seconds(3600))
    static let defaultVerifyAfter = 3

    func remediationSettings(_ value: YAMLValue?) -> RemediationSettings {
        var settings = RemediationSettings()
        guard let map = value?.mapping() else { return settings }
        defer { map.finish() }
        settings.dryRun = map["dry_run"]?.bool() ?? false
        if let budget = map["budget"].flatMap(budget) { settings.budget = budget }
        return settings
    }

    func health(_ value: YAMLValue?) -> HealthSettings {
        var settings = HealthSettings()
        guard let map = value?.mapping() else { return settings }
        defer { map.finish() }
        settings.evaluateEvery = map["evaluate_every"]?.duration(allowZero: false) ?? settings.evaluateEvery
        settings.escalateAfter = map["escalate_after"]?.int(in: 1...1000) ?? settings.escalateAfter
        settings.recoverAfter = map["recover_after"]?.int(in: 1...1000) ?? settings.recoverAfter
        settings.startupGrace = map["startup_grace"]?.duration() ?? settings.startupGrace
        settings.staleInputAfter = map["stale_input_after"]?.duration(allowZero: false) ?? settings.staleInputAfter
        if let thresholds = map["thresholds"]?.mapping() {
            defer { thresholds.finish() }
            for check in HealthCheck.allCases where check.isConfigurable {
                if let value = thresholds[check.rawValue], let threshold = threshold(value, check) {
                    settings.thresholds[check] = threshold
                }
            }
        }
        return settings
    }

    /// `off`, or a mapping of `degraded`, `unhealthy` and `critical` bounds: numbers, `85%` for ratios,
    /// durations for times. The bounds must grow worse in order.
    private func threshold(_ value: YAMLValue, _ check: HealthCheck) -> Threshold? {
        if case .scalar(let scalar) = value.node, scalar.string == "off" { return .off }
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        func bound(_ key: String) -> Double? {
            guard let value = map[key] else { return nil }
            switch check.unit {
            case .seconds: return value.duration()?.seconds
            case .ratio: return value.ratio()
            case .bytes: return value.byteSize().map(Double.init)
            case .count, .perMinute: return value.double(in: -1e12...1e12)
            }
        }
        let threshold = Threshold(degraded: bound("degraded"), unhealthy: bound("unhealthy"), critical: bound("critical"))
        let bounds = [threshold.degraded, threshold.unhealthy, threshold.critical].compactMap { $0 }
        if bounds.isEmpty {
            map.fail("give at least one of degraded, unhealthy, critical (or off)")
        } else if bounds != (check.lowerIsWorse ? bounds.sorted(by: >) : bounds.sorted()) {
            map.fail("bounds must \(check.lowerIsWorse ? "fall" : "rise") from degraded to unhealthy to critical")
        }
        return threshold
    }

    func remediation(_ value: YAMLValue?, watch: WatchConfig, workingDirectory: String,
                     environment: [String: String]) -> EngineRemediation {
        var remediation = EngineRemediation()
        guard let map = value?.mapping() else { return remediation }
        defer { map.finish() }
        let context = ActionReading(watch: watch, references: References(watch), workingDirectory: workingDirectory,
                                    searchPath: environment["PATH"] ?? searchPath, preStop: nil,
                                    components: watch.judgedComponents)
        var withHook = context
        if let hook = map["pre_stop"] {
            withHook.preStop = action(hook, context, allowed: ["http", "exec"])
        }
        var names: Set<String> = []
        for item in map["policies"]?.sequence() ?? [] {
            guard let policy = policy(item, withHook) else { continue }
            if !names.insert(policy.name).inserted { item.fail("duplicate policy name \"\(policy.name)\"") }
            remediation.policies.append(policy)
        }
        for item in map["alertmanager"]?.sequence() ?? [] {
            guard let entry = item.mapping() else { continue }
            defer { entry.finish() }
            let alertname = entry["alertname"]?.string()
            if !entry.has("alertname") { entry.fail("missing required key \"alertname\"") }
            let labels = entry["labels"]?.stringMap() ?? [:]
            let mapped = entry["action"].flatMap { self.action($0, withHook) }
            if !entry.has("action") { entry.fail("missing required key \"action\"") }
            let onResolved = entry["on_resolved"]?.bool() ?? false
            let cooldown = entry["cooldown"]?.duration() ?? Self.defaultPolicyCooldown
            if let alertname, let mapped {
                remediation.alertmanager.append(AlertMapping(alertname: alertname, labels: labels, action: mapped,
                                                             onResolved: onResolved, cooldown: cooldown))
            }
        }
        return remediation
    }

    /// What an action may refer to while it is read.
    struct ActionReading {
        var watch: WatchConfig
        var references: References
        var workingDirectory: String
        var searchPath: String
        var preStop: (any RemediationAction)?
        /// The components something feeds: a policy on any other would never fire.
        var components: Set<HealthComponent>
    }

    private func policy(_ value: YAMLValue, _ context: ActionReading) -> RemediationPolicy? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let name = map["name"]?.string()
        if !map.has("name") { map.fail("missing required key \"name\"") }
        let componentValue = map["component"]
        let component = componentValue?.string().flatMap { text -> HealthComponent? in
            guard let component = HealthComponent(rawValue: text) else {
                componentValue?.fail("unknown component \"\(text)\" (components: \(HealthComponent.allCases.map(\.rawValue).joined(separator: ", ")))")
                return nil
            }
            guard context.components.contains(component) else {
                componentValue?.fail("nothing feeds component \(text) in this engine (no probe or check for it), so this policy could never act")
                return nil
            }
            return component
        }
        if !map.has("component") { map.fail("missing required key \"component\"") }
        var checks: Set<HealthCheck> = []
        if let list = map["checks"] {
            for item in list.sequence() ?? [] {
                guard let text = item.string() else { continue }
                guard let check = HealthCheck(rawValue: text) else {
                    item.fail("unknown check \"\(text)\" (checks: \(HealthCheck.allCases.map(\.rawValue).joined(separator: ", ")))")
                    continue
                }
                if let component, let owner = check.component, owner != component {
                    item.fail("check \(text) belongs to component \(owner.rawValue), not \(component.rawValue)")
                }
                checks.insert(check)
            }
        }
        let level = map["level"].flatMap(level) ?? .unhealthy
        if level == .healthy { map["level"]?.fail("a policy acts on DEGRADED, UNHEALTHY or CRITICAL, not HEALTHY") }
        let holdFor = map["for"]?.duration() ?? .zero
        let cooldown = map["cooldown"]?.duration() ?? Self.defaultPolicyCooldown
        let budget = map["budget"].flatMap(budget) ?? Self.defaultPolicyBudget
        var ladder: [Rung] = []
        if let rungs = map["ladder"]?.sequence() {
            for item in rungs {
                guard let rung = item.mapping() else { continue }
                let verifyAfter = rung["verify_after"]?.int(in: 1...1000) ?? Self.defaultVerifyAfter
                if let step = self.action(item, context, reader: rung) { ladder.append(Rung(action: step, verifyAfter: verifyAfter)) }
            }
            if rungs.isEmpty { map["ladder"]?.fail("a ladder needs at least one action") }
        } else if !map.has("ladder") {
            map.fail("missing required key \"ladder\" (a list of actions, tried in order)")
        }
        guard let name, let component, !ladder.isEmpty else { return nil }
        return RemediationPolicy(name: name, component: component, checks: checks, level: level, holdFor: holdFor,
                                 ladder: ladder, cooldown: cooldown, budget: budget)
    }

    /// A level by name, in any case: a policy's trigger, a channel's minimum.
    func level(_ value: YAMLValue) -> HealthLevel? {
        guard let text = value.string() else { return nil }
        guard let level = HealthLevel(name: text) else {
            value.fail("expected healthy, degraded, unhealthy or critical")
            return nil
        }
        return level
    }

    private func budget(_ value: YAMLValue) -> BudgetLedger.Budget? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let limit = map["max"]?.int(in: 0...100_000)
        if !map.has("max") { map.fail("missing required key \"max\"") }
        let window = map["window"]?.duration(allowZero: false) ?? .seconds(3600)
        return limit.map { BudgetLedger.Budget(limit: $0, window: window) }
    }

    static let actionKinds = ["restart", "signal", "http", "exec", "sql"]

    /// One of `restart`, `signal`, `http`, `exec` or `sql`. `reader` is given when the mapping holds other
    /// keys too (a ladder rung's `verify_after`); it is finished here.
    func action(_ value: YAMLValue, _ context: ActionReading, allowed: [String] = actionKinds,
                reader: MappingReader? = nil) -> (any RemediationAction)? {
        guard let map = reader ?? value.mapping() else { return nil }
        defer { map.finish() }
        let present = Self.actionKinds.filter(map.has)
        guard present.count == 1, let kind = present.first, allowed.contains(kind) else {
            for kind in present { _ = map[kind] }   // said once here, not again as unknown keys
            map.fail("expected exactly one action: \(allowed.joined(separator: ", "))")
            return nil
        }
        guard let body = map[kind] else {
            if kind == "restart" { return RestartAction(preStop: context.preStop) }
            map.fail("\(kind) needs settings")
            return nil
        }
        switch kind {
        case "restart": return restartAction(body, context)
        case "signal":
            guard let text = body.string() else { return nil }
            guard let signal = Signal(parsing: text) else {
                body.fail("unknown signal \"\(text)\"; use a name such as SIGHUP or SIGUSR1")
                return nil
            }
            return SignalAction(signal: signal)
        case "http": return httpAction(body)
        case "exec": return execAction(body, context)
        default: return sqlAction(body, context)
        }
    }

    private func restartAction(_ value: YAMLValue, _ context: ActionReading) -> RestartAction? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        var restart = RestartAction(preStop: context.preStop)
        if let guardValue = map["defer_while"], let source = valueSource(guardValue, context.references, expecting: .count) {
            var path: String?
            if case .sql(let probe, _) = source, case .sqlite(let file, _)? = context.references.probes[probe] { path = file }
            restart.deferWhile = DeferCondition(source: source, path: path, timestamps: context.watch.timestamps)
        }
        restart.maxDefer = map["max_defer"]?.duration() ?? restart.maxDefer
        return restart
    }

    private func httpAction(_ value: YAMLValue) -> HTTPAction? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let urlValue = map["url"]
        let url = urlValue.flatMap(httpURL)
        if urlValue == nil { map.fail("missing required key \"url\"") }
        let method = (map["method"]?.string() ?? "POST").uppercased()
        if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) {
            map["method"]?.fail("expected GET, POST, PUT, PATCH or DELETE")
        }
        let headers = map["headers"]?.stringMap() ?? [:]
        let body = map["body"]?.string(nonEmpty: false)
        let timeout = map["timeout"]?.duration(allowZero: false) ?? .seconds(5)
        return url.map { HTTPAction(method: method, url: $0, headers: headers, body: body, timeout: timeout) }
    }

    private func execAction(_ value: YAMLValue, _ context: ActionReading) -> ExecAction? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let commandValue = map["command"]
        if let commandValue, case .scalar = commandValue.node {
            commandValue.fail("command must be a list of arguments; shell strings are not accepted")
            return nil
        }
        let command = commandValue?.stringList()
        if commandValue == nil { map.fail("missing required key \"command\"") }
        let timeout = map["timeout"]?.duration(allowZero: false) ?? .seconds(30)
        guard let command, let program = command.first, !program.isEmpty else {
            if command != nil { commandValue?.fail("command must name a program") }
            return nil
        }
        guard let executable = resolveExecutable(program, workingDirectory: context.workingDirectory,
                                                 searchPath: context.searchPath) else {
            commandValue?.fail("command \"\(program)\" not found\(program.contains("/") ? " or not executable" : " in PATH")")
            return nil
        }
        return ExecAction(command: command, executable: executable, workingDirectory: context.workingDirectory, timeout: timeout)
    }

    private func sqlAction(_ value: YAMLValue, _ context: ActionReading) -> SQLAction? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let probeValue = map["probe"]
        let probe = probeValue?.string()
        if probeValue == nil { map.fail("missing required key \"probe\" (a sqlite probe with allow_writes: true)") }
        let statement = map["statement"]?.string()
        if !map.has("statement") { map.fail("missing required key \"statement\"") }
        let timeout = map["timeout"]?.duration(allowZero: false) ?? .seconds(5)
        guard let probe, let probeValue, let statement,
              context.references.require(probe, "sqlite", at: probeValue),
              let config = context.watch.probes.first(where: { $0.name == probe }),
              case .sqlite(let path, let busyTimeout) = config.kind else { return nil }
        guard config.allowWrites else {
            probeValue.fail("probe \"\(probe)\" does not allow writes: add allow_writes: true to its sqlite settings to let Warden change the engine's database")
            return nil
        }
        return SQLAction(probe: probe, path: path, statement: statement, timeout: timeout, busyTimeout: busyTimeout,
                         timestamps: context.watch.timestamps)
    }
}

extension YAMLValue {
    /// A ratio as a number (0.85) or a percentage (85%).
    func ratio() -> Double? {
        if case .scalar(let scalar) = node, scalar.string.hasSuffix("%"),
           let percent = Double(scalar.string.dropLast().trimmingCharacters(in: .whitespaces)), percent.isFinite {
            return percent / 100
        }
        return double(in: -1e12...1e12)
    }
}
