/// Decides, evaluation by evaluation, which remediation to take for one engine: the condition, the hold time,
/// the cooldown, the budgets and the escalation ladder (docs/remediation.md). Pure: health in, decisions out; the
/// actions themselves run elsewhere and report back through `finished`.
public struct RemediationPlanner: Sendable {
    public enum Decision: Sendable, Equatable {
        /// Perform rung `incident.rung` of policy `policy`.
        case act(policy: Int, incident: Incident)
        /// Not acting although the condition holds (cooldown, budget): audited once per incident.
        case suppressed(policy: Int, incident: Incident, why: String)
        /// The condition cleared after an action.
        case resolved(policy: Int, incident: Incident)
        /// Every rung was taken and the condition stayed: stop acting, a person is needed.
        case gaveUp(policy: Int, incident: Incident)
        /// The condition cleared after Warden had given up.
        case recovered(policy: Int, incident: Incident)
    }

    struct PolicyState: Sendable {
        var conditionSince: Double?
        var incident: Incident?
        var inFlight = false
        var lastResult: ActionResult?
        /// Evaluations since the action ended, counted as ticks: a burst of early ones is not `verify_after`.
        var verified = TickCount()
        var lastStartAt: Double?
        var ledger: BudgetLedger
        var gaveUp = false
        /// The kind of the last suppression audited (cooldown, policy budget, global budget); cleared when the
        /// policy acts. A suppression is audited once per kind, not at every evaluation it lasts.
        var suppressionNoted: String?
        var nextID = 0
    }

    public let engine: String
    public let policies: [RemediationPolicy]
    /// The engine's `evaluate_every`: what `verify_after` counts in.
    public let tick: Duration
    var states: [PolicyState]

    /// `priorActions` are the times of each policy's actions within its window, from the audit, so that a
    /// restart of Warden does not hand every policy a fresh budget.
    public init(engine: String, policies: [RemediationPolicy], tick: Duration = HealthSettings().evaluateEvery,
                priorActions: [String: [Double]] = [:]) {
        self.engine = engine
        self.policies = policies
        self.tick = tick
        states = policies.map { policy in
            var state = PolicyState(ledger: BudgetLedger(budget: policy.budget, times: priorActions[policy.name] ?? []))
            state.lastStartAt = priorActions[policy.name]?.max()
            return state
        }
    }

    /// Policies that gave up: their components stay CRITICAL until the condition clears.
    public var exhausted: [RemediationPolicy] {
        zip(policies, states).filter { $0.1.gaveUp }.map(\.0)
    }

    /// `judged` are the components this evaluation actually read (not the ones held while the engine starts).
    /// `global` is Warden's budget across every engine and policy.
    public mutating func evaluate(_ health: [HealthComponent: ComponentHealth], judged: Set<HealthComponent>,
                                  now: Double, global: inout BudgetLedger) -> [Decision] {
        var decisions: [Decision] = []
        for index in policies.indices {
            if let decision = evaluate(index, health, judged: judged, now: now, global: &global) {
                decisions.append(decision)
            }
        }
        return decisions
    }

    private mutating func evaluate(_ index: Int, _ health: [HealthComponent: ComponentHealth], judged: Set<HealthComponent>,
                                   now: Double, global: inout BudgetLedger) -> Decision? {
        let policy = policies[index]
        guard let component = health[policy.component], judged.contains(policy.component) else { return nil }
        let trigger = policy.trigger(in: component.reading)
        let rawBad = (trigger?.level ?? .healthy) >= policy.level
        let holds = rawBad && component.level >= policy.level
        states[index].conditionSince = holds ? (states[index].conditionSince ?? now) : nil
        var state = states[index]
        defer { states[index] = state }

        if state.gaveUp {
            guard !rawBad, let incident = state.incident else { return nil }
            state.gaveUp = false
            state.incident = nil
            return .recovered(policy: index, incident: incident)
        }
        if var incident = state.incident {
            if state.inFlight { return nil }
            if !rawBad {
                state.incident = nil
                // Cleared before the suppressed action could run: nothing was done, nothing to report.
                return state.lastResult == .suppressed ? nil : .resolved(policy: index, incident: incident)
            }
            if let trigger { incident.refresh(from: trigger) }
            switch state.lastResult {
            case .suppressed?:
                return act(index, &state, incident, rung: incident.rung, now: now, global: &global)
            case .failure?:
                break
            default:
                guard state.verified.add(at: now, tick: tick) >= policy.ladder[incident.rung].verifyAfter else { return nil }
            }
            let next = incident.rung + 1
            guard next < policy.ladder.count else {
                state.gaveUp = true
                state.incident = incident
                return .gaveUp(policy: index, incident: incident)
            }
            return act(index, &state, incident, rung: next, now: now, global: &global)
        }
        guard holds, let trigger, let since = state.conditionSince, now - since >= policy.holdFor.seconds,
              !policy.ladder.isEmpty else { return nil }
        state.nextID += 1
        // Milliseconds, not seconds: the counter starts again when Warden does, and a Warden killed and restarted
        // within one second gave two decisions one id, which actions take as their idempotency key.
        let id = "\(engine)/\(policy.name)/\(Int((now * 1000).rounded(.down)))-\(state.nextID)"
        var incident = Incident(id: id, engine: engine,
                                source: .policy(policy.name), component: policy.component, level: trigger.level,
                                check: trigger.check, value: trigger.value, threshold: trigger.threshold,
                                reason: trigger.message)
        incident.rung = 0
        if let last = state.lastStartAt, now - last < policy.cooldown.seconds {
            return suppress(index, &state, incident, kind: "cooldown", why: "cooldown: \(Units.formatDuration(.seconds(Int((policy.cooldown.seconds - (now - last)).rounded(.up))))) left")
        }
        state.lastStartAt = now
        return act(index, &state, incident, rung: 0, now: now, global: &global)
    }

    private func suppress(_ index: Int, _ state: inout PolicyState, _ incident: Incident, kind: String,
                          why: String) -> Decision? {
        defer { state.suppressionNoted = kind }
        return state.suppressionNoted == kind ? nil : .suppressed(policy: index, incident: incident, why: why)
    }

    private func act(_ index: Int, _ state: inout PolicyState, _ incident: Incident, rung: Int, now: Double,
                     global: inout BudgetLedger) -> Decision? {
        var incident = incident
        incident.rung = rung
        state.incident = incident
        let budget = policies[index].budget
        if state.ledger.remaining(now: now) == 0 {
            state.lastResult = .suppressed
            return suppress(index, &state, incident, kind: "policy budget",
                            why: "policy budget spent: \(budget.limit) actions per \(Units.formatDuration(budget.window))")
        }
        if global.remaining(now: now) == 0 {
            state.lastResult = .suppressed
            return suppress(index, &state, incident, kind: "global budget",
                            why: "Warden's remediation budget spent: \(global.budget.limit) actions per \(Units.formatDuration(global.budget.window))")
        }
        state.ledger.record(now: now)
        global.record(now: now)
        state.inFlight = true
        state.verified.reset()
        state.lastResult = nil
        state.suppressionNoted = nil
        return .act(policy: index, incident: incident)
    }

    /// The action of policy `index` ended.
    public mutating func finished(policy index: Int, result: ActionResult) {
        states[index].inFlight = false
        states[index].lastResult = result
    }
}

extension Incident {
    /// The latest value behind a still-open incident.
    mutating func refresh(from finding: Finding) {
        level = finding.level
        check = finding.check
        value = finding.value
        threshold = finding.threshold
        reason = finding.message
    }
}
