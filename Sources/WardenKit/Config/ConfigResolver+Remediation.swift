/// Converting an engine's `remediation:`: a policy must watch a component something feeds, and an action's
/// probe or command must exist.
extension ConfigResolver {
    /// What the actions of one engine may refer to.
    struct ActionContext {
        var watch: WatchConfig
        var references: References
        var workingDirectory: String
        /// PATH for `exec` commands.
        var searchPath: String
        /// Run before every restart the engine's remediation takes.
        var preStop: (any RemediationAction)?
    }

    /// Why `action` cannot act on an engine attached as `attach` with `control`: a restart needs the command that
    /// restarts it through its own supervisor, and a signal needs a process.
    static func refusal(_ action: ConfigFile.Action, attach: ConfigFile.Attach?, control: ConfigFile.Control?) -> String? {
        guard let attach else { return nil }
        switch action {
        case .restart where attach.target == .none:
            return "restarts the engine, which is attached with none: true (no process Warden could restart)"
        case .restart where control?.restartSequence == nil:
            return "restarts the engine, which another supervisor runs: give the engine control: {restart: [argv]}, "
                + "such as [\"supervisorctl\", \"restart\", \"bot\"] (or control: {stop: [argv], start: [argv]})"
        case .signal where attach.target == .none:
            return "signals the engine, which is attached with none: true (no process to signal)"
        default:
            return nil
        }
    }

    func resolve(_ written: ConfigFile.EngineRemediation, of engine: ConfigFile.Engine, watch: WatchConfig,
                 workingDirectory: String, searchPath: String) -> EngineRemediation {
        let (attach, control) = (engine.attach, engine.control)
        var context = ActionContext(watch: watch, references: References(watch), workingDirectory: workingDirectory,
                                    searchPath: searchPath, preStop: nil)
        context.preStop = written.preStop.flatMap {
            action($0, context, at: engine.location, key: ConfigFile.Engine.CodingKeys.remediation.stringValue)
        }
        var remediation = EngineRemediation()
        let fed = watch.judgedComponents
        for policy in written.policies {
            typealias Keys = ConfigFile.Policy.CodingKeys
            // Every rung is checked, even of a policy that cannot act, so that one run names every problem.
            let ladder = policy.ladder.compactMap { rung in
                action(rung.action, context, at: policy.location, key: Keys.ladder.stringValue)
                    .map { Rung(action: $0, verifyAfter: rung.verifyAfter) }
            }
            for rung in policy.ladder {
                if let refusal = Self.refusal(rung.action, attach: attach, control: control) {
                    issues.report("policy \(policy.name) \(refusal)", at: policy.location, key: Keys.ladder.stringValue)
                }
            }
            if policy.location.couldRead(Keys.component), !fed.contains(policy.component) {
                issues.report("nothing feeds component \(policy.component.rawValue) in this engine (no probe or check for it), so this policy could never act",
                              at: policy.location, key: Keys.component.stringValue)
                continue
            }
            guard policy.location.isComplete, !ladder.isEmpty else { continue }
            remediation.policies.append(RemediationPolicy(
                name: policy.name, component: policy.component, checks: Set(policy.checks), level: policy.level,
                holdFor: policy.holdFor, ladder: ladder, cooldown: policy.cooldown, budget: policy.budget.ledger))
        }
        for mapping in written.alertmanager where mapping.location.couldRead(ConfigFile.AlertmanagerMapping.CodingKeys.action) {
            if let refusal = Self.refusal(mapping.action, attach: attach, control: control) {
                issues.report("the action for \(mapping.alertname) \(refusal)", at: mapping.location,
                              key: ConfigFile.AlertmanagerMapping.CodingKeys.action.stringValue)
            }
            guard let action = action(mapping.action, context, at: mapping.location,
                                      key: ConfigFile.AlertmanagerMapping.CodingKeys.action.stringValue),
                  mapping.location.isComplete else { continue }
            remediation.alertmanager.append(AlertMapping(alertname: mapping.alertname, labels: mapping.labels, action: action,
                                                         onResolved: mapping.onResolved, cooldown: mapping.cooldown))
        }
        return remediation
    }

    /// `location` and `key`: where the action is written, for warnings about its secrets.
    private func action(_ written: ConfigFile.Action, _ context: ActionContext, at location: ConfigLocation,
                        key: String) -> (any RemediationAction)? {
        switch written {
        case .restart(let restart):
            var action = RestartAction(preStop: context.preStop, maxDefer: restart.maxDefer)
            if let deferWhile = restart.deferWhile,
               let source = valueSource(deferWhile, context.references, expecting: .count) {
                var path: String?
                if case .sql(let probe, _) = source, case .sqlite(let file, _)? = context.references.probes[probe] { path = file }
                action.deferWhile = DeferCondition(source: source, path: path, timestamps: context.watch.timestamps)
            }
            return action
        case .signal(let signal):
            return SignalAction(signal: signal)
        case .http(let http):
            return HTTPAction(method: http.method, url: http.url,
                              headers: RequestHeaders(headers: http.headers, credentials: http.credentials).mapSecrets {
                                  resolve($0, at: location, key: key)
                              },
                              body: http.body, timeout: http.timeout)
        case .exec(let exec):
            guard let executable = executable(exec.command, workingDirectory: context.workingDirectory, searchPath: context.searchPath,
                                              at: exec.location, key: ConfigFile.Action.Exec.CodingKeys.command.stringValue) else {
                return nil
            }
            return ExecAction(command: exec.command, executable: executable, workingDirectory: context.workingDirectory,
                              timeout: exec.timeout)
        case .sql(let sql):
            let key = ConfigFile.Action.SQL.CodingKeys.probe.stringValue
            guard context.references.require(sql.probe, .sqlite, at: sql.location, key: key, issues),
                  let probe = context.watch.probes.first(where: { $0.name == sql.probe }),
                  case .sqlite(let path, let busyTimeout) = probe.kind else { return nil }
            guard probe.allowWrites else {
                issues.report("probe \"\(sql.probe)\" does not allow writes: add allow_writes: true to its sqlite settings to let Warden change the engine's database",
                              at: sql.location, key: key)
                return nil
            }
            return SQLAction(probe: sql.probe, path: path, statement: sql.statement, timeout: sql.timeout, busyTimeout: busyTimeout,
                             timestamps: context.watch.timestamps)
        }
    }
}
