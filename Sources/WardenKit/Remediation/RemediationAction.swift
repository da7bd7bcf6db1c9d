import Logging

/// Who asked for an action: a remediation policy, or an alert Alertmanager delivered. The audit stores its text
/// (`policy NAME`, `alertmanager ALERTNAME`), which `init(audited:)` reads back when Warden starts.
public enum ActionSource: Sendable, Hashable, CustomStringConvertible {
    case policy(String)
    case alertmanager(String)

    public var description: String {
        switch self {
        case .policy(let name): "policy \(name)"
        case .alertmanager(let alertname): "alertmanager \(alertname)"
        }
    }

    /// The source an audit row names; nil for text no version of Warden writes.
    public init?(audited text: String) {
        let parts = text.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "policy": self = .policy(String(parts[1]))
        case "alertmanager": self = .alertmanager(String(parts[1]))
        default: return nil
        }
    }
}

/// An action taken before, as the audit remembers it: budgets and cooldowns continue from these.
public struct PriorAction: Sendable, Equatable {
    public var engine: String
    public var source: ActionSource
    public var at: Double

    public init(engine: String, source: ActionSource, at: Double) {
        self.engine = engine
        self.source = source
        self.at = at
    }
}

/// Why an action runs: the engine, what triggered it and the value behind it. Exec actions receive it as
/// `WARDEN_*` environment variables; the audit stores it.
public struct Incident: Sendable, Equatable {
    public var id: String
    public var engine: String
    public var source: ActionSource
    public var component: HealthComponent?
    public var level: HealthLevel
    public var check: HealthCheck?
    public var value: Double?
    public var threshold: Double?
    public var reason: String
    /// The rung of the policy's ladder this action is (0 for the first).
    public var rung = 0

    public init(id: String, engine: String, source: ActionSource, component: HealthComponent?, level: HealthLevel,
                check: HealthCheck?, value: Double?, threshold: Double?, reason: String) {
        self.id = id
        self.engine = engine
        self.source = source
        self.component = component
        self.level = level
        self.check = check
        self.value = value
        self.threshold = threshold
        self.reason = reason
    }

    public var environment: [String: String] {
        var environment = [
            "WARDEN_INCIDENT_ID": id, "WARDEN_ENGINE": engine, "WARDEN_SOURCE": source.description, "WARDEN_LEVEL": level.name,
            "WARDEN_REASON": reason, "WARDEN_RUNG": String(rung + 1),
        ]
        environment["WARDEN_COMPONENT"] = component?.rawValue
        environment["WARDEN_CHECK"] = check?.rawValue
        environment["WARDEN_VALUE"] = value.map { String($0) }
        environment["WARDEN_THRESHOLD"] = threshold.map { String($0) }
        return environment
    }
}

/// How an action ended, as `warden_remediations_total{result}` counts it.
public enum ActionResult: String, Sendable, CaseIterable, Codable {
    case success, failure
    /// Nothing to do (the engine is already restarting).
    case skipped
    /// Not done: cooldown or budget.
    case suppressed
    /// Logged and audited, not done.
    case dryRun = "dry_run"
}

public struct ActionOutcome: Sendable, Equatable {
    public var result: ActionResult
    /// What happened, in a few words: "HTTP 200", "exit status 0", "3 rows changed".
    public var detail: String
    /// Captured output (exec) or response body (http), capped.
    public var output: String?

    public init(_ result: ActionResult, _ detail: String, output: String? = nil) {
        self.result = result
        self.detail = detail
        self.output = output
    }
}

/// What an action may touch: the engine's supervisor and the status board.
public struct ActionContext: Sendable {
    public var supervisor: (any EngineRunner)?
    public var board: StatusBoard
    /// The environment of programs Warden runs: its own, without the admin token's variable.
    public var environment: [String: String]
    public var logger: Logger

    public init(supervisor: (any EngineRunner)?, board: StatusBoard, environment: [String: String], logger: Logger) {
        self.supervisor = supervisor
        self.board = board
        self.environment = environment
        self.logger = logger
    }

    var engine: EngineStatus? { supervisor.flatMap { board.status(of: $0.config.name) } }
    /// A child engine's guard, which kills its helpers with Warden; an attached engine's helpers have none.
    var orphanGuard: OrphanGuard? { (supervisor as? EngineSupervisor)?.orphanGuard }
}

/// The shape every action shares (like blackbox_exporter's probers): do one thing once, within its own
/// timeout, and say how it went. Cooldowns, budgets, dry-run and the audit live around it, not in it.
public protocol RemediationAction: Sendable {
    /// restart, signal, http, exec or sql: the `action` label.
    var kind: String { get }
    /// What it does, for the audit and the status API; never contains a secret.
    var summary: String { get }
    func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome
}

/// One step of a policy's escalation ladder.
public struct Rung: Sendable {
    public var action: any RemediationAction
    /// Evaluations after the action within which the condition must clear, or the next rung is taken.
    public var verifyAfter: Int

    public init(action: any RemediationAction, verifyAfter: Int) {
        self.action = action
        self.verifyAfter = verifyAfter
    }
}

/// When to act and how: a condition on one component and the ladder of actions that should clear it.
public struct RemediationPolicy: Sendable {
    public var name: String
    public var component: HealthComponent
    /// The checks of the component that trigger it; empty means any.
    public var checks: Set<HealthCheck>
    /// The lowest level that triggers it.
    public var level: HealthLevel
    /// How long the condition must hold before the first action.
    public var holdFor: Duration
    public var ladder: [Rung]
    /// The least time between the first actions of two incidents.
    public var cooldown: Duration
    public var budget: BudgetLedger.Budget

    public init(name: String, component: HealthComponent, checks: Set<HealthCheck> = [], level: HealthLevel,
                holdFor: Duration = .zero, ladder: [Rung], cooldown: Duration, budget: BudgetLedger.Budget) {
        self.name = name
        self.component = component
        self.checks = checks
        self.level = level
        self.holdFor = holdFor
        self.ladder = ladder
        self.cooldown = cooldown
        self.budget = budget
    }

    /// The worst finding of a reading that this policy reacts to.
    func trigger(in reading: Reading?) -> Finding? {
        reading?.findings
            .filter { $0.check != .remediationExhausted && (checks.isEmpty || checks.contains($0.check)) }
            .max { $0.level < $1.level }
    }

    /// Whether its component rising to `level` on `reading` is this policy's condition: a finding of one of its
    /// checks at its level or worse. What an alert may say Warden will act on.
    func reacts(to level: HealthLevel, reading: Reading?) -> Bool {
        guard level >= self.level, let finding = trigger(in: reading) else { return false }
        return finding.level >= self.level
    }
}
