import Logging
import Synchronization

/// The remediation side of one engine's judge. It plans from the judgement (the planner, under Warden's global
/// budget), audits what it decides not to do, and launches actions when told to. It never touches the health
/// tracker: a ladder that ran out, or a condition that cleared after one did, comes back as a `Plan`'s pins.
/// Lives in the judge's task only.
final class PolicyRunner {
    let engine: String
    private(set) var planner: RemediationPlanner
    private let remediator: Remediator
    private let logger: Logger
    /// Results of finished actions, handed back to the planner at the next plan.
    private let finished = FinishedActions()

    init(engine: EngineConfig, remediator: Remediator, logger: Logger, priorActions: [String: [Double]]) {
        self.engine = engine.name
        self.remediator = remediator
        self.logger = logger
        planner = RemediationPlanner(engine: engine.name, policies: engine.remediation.policies,
                                     tick: engine.health.evaluateEvery, priorActions: priorActions)
    }

    var policies: [RemediationPolicy] { planner.policies }

    /// The names of the policies that took every rung and stopped acting.
    var exhausted: [String] { planner.exhausted.map(\.name) }

    /// What one evaluation decided: actions to launch once their cause is on record, and components to pin at
    /// CRITICAL (a ladder ran out) or to release (its condition cleared).
    struct Plan {
        var launches: [(policy: Int, incident: Incident)] = []
        var pins: [(component: HealthComponent, finding: Finding)] = []
        var unpins: [HealthComponent] = []
    }

    /// Decides on the judged components: only those read fresh in this evaluation (`judged`), never a held one or
    /// one whose inputs are missing. Decisions not to act are audited here.
    func plan(_ components: [HealthComponent: ComponentHealth], judged: Set<HealthComponent>, now: Double) async -> Plan {
        for done in finished.take() {
            planner.finished(policy: done.policy, result: done.result)
        }
        let decisions = remediator.global.withLock {
            planner.evaluate(components, judged: judged, now: now, global: &$0)
        }
        var plan = Plan()
        for decision in decisions {
            var metadata: Logger.Metadata = ["engine": "\(engine)"]
            switch decision {
            case .act(let index, let incident):
                plan.launches.append((index, incident))
            case .suppressed(let index, let incident, let why):
                await remediator.record(incident, action: action(index, incident), ActionOutcome(.suppressed, why))
            case .resolved(let index, let incident):
                metadata["policy"] = "\(policies[index].name)"
                metadata["rung"] = "\(incident.rung + 1)"
                metadata["action"] = "\(action(index, incident).kind)"
                logger.notice("the condition cleared after the remediation", metadata: metadata)
            case .gaveUp(let index, let incident):
                let policy = policies[index]
                let steps = policy.ladder.map(\.action.kind).joined(separator: ", then ")
                let finding = Finding(check: .remediationExhausted, level: .critical, value: nil, threshold: nil,
                                      subject: policy.name,
                                      message: "policy \(policy.name) tried \(steps) and \(incident.reason) remains: Warden stops acting; a human is needed")
                metadata["policy"] = "\(policy.name)"
                logger.critical("\(finding.message)", metadata: metadata)
                plan.pins.append((policy.component, finding))
            case .recovered(let index, _):
                let policy = policies[index]
                // Another exhausted policy of the same component keeps the pin.
                if !planner.exhausted.contains(where: { $0.component == policy.component }) { plan.unpins.append(policy.component) }
                metadata["policy"] = "\(policy.name)"
                logger.notice("the condition cleared after Warden had given up", metadata: metadata)
            }
        }
        return plan
    }

    /// Starts the plan's actions; each result reaches the planner at the next plan.
    func launch(_ plan: Plan) {
        for launch in plan.launches {
            remediator.launch(action(launch.policy, launch.incident), for: launch.incident) { [finished] result in
                finished.add(launch.policy, result)
            }
        }
    }

    /// The policies a component's rise to `level` on `reading` will set acting: what an alert may announce.
    func acting(on component: HealthComponent, rising level: HealthLevel, reading: Reading?) -> [String] {
        policies.filter { $0.component == component && $0.reacts(to: level, reading: reading) }.map(\.name)
    }

    private func action(_ policy: Int, _ incident: Incident) -> any RemediationAction {
        policies[policy].ladder[incident.rung].action
    }
}

/// Results of actions that ended, waiting for the next plan.
private final class FinishedActions: Sendable {
    private let list = Mutex<[(policy: Int, result: ActionResult)]>([])

    func add(_ policy: Int, _ result: ActionResult) {
        list.withLock { $0.append((policy, result)) }
    }

    func take() -> [(policy: Int, result: ActionResult)] {
        list.withLock { list in
            defer { list = [] }
            return list
        }
    }
}
