import Foundation
import Logging
import Synchronization

/// Carries out remediation decisions for every engine: one global budget, dry-run, and the audit (the store,
/// the status board, the log) around each action. Actions run in the background; the caller learns the
/// result through `done`.
public final class Remediator: Sendable {
    let board: StatusBoard
    let store: WardenStore?
    /// The engine's supervisor, for the actions that restart or signal it.
    let supervisor: @Sendable (String) -> (any EngineRunner)?
    let environment: [String: String]
    let logger: Logger
    /// Warden's own budget across engines and policies: no storm, whatever the input.
    let global: Mutex<BudgetLedger>
    /// What a reload may change: dry-run, and where the alerts of an action's outcome go.
    private let current: Mutex<(dryRun: Bool, router: AlertRouter)>

    var dryRun: Bool { current.withLock { $0.dryRun } }
    var router: AlertRouter { current.withLock { $0.router } }

    public init(board: StatusBoard, store: WardenStore?, supervisor: @escaping @Sendable (String) -> (any EngineRunner)?,
                settings: RemediationSettings, environment: [String: String], logger: Logger, priorActions: [Double] = [],
                router: AlertRouter = AlertRouter(channels: [])) {
        self.board = board
        self.store = store
        self.supervisor = supervisor
        self.environment = environment
        self.logger = logger
        current = Mutex((settings.dryRun, router))
        global = Mutex(BudgetLedger(budget: settings.budget, times: priorActions))
    }

    /// Takes reloaded settings: the global budget's limit and window change, the actions it has counted stay.
    public func reconfigure(_ settings: RemediationSettings, router: AlertRouter) {
        current.withLock { $0 = (settings.dryRun, router) }
        global.withLock { $0 = BudgetLedger(budget: settings.budget, times: $0.times) }
    }

    func context(for engine: String) -> ActionContext {
        ActionContext(supervisor: supervisor(engine), board: board, environment: environment, logger: logger)
    }

    /// Audits the action, runs it (or, in dry-run, only says what it would do), audits the outcome.
    func launch(_ action: any RemediationAction, for incident: Incident,
                done: @escaping @Sendable (ActionResult) -> Void = { _ in }) {
        let context = context(for: incident.engine)
        let dryRun = current.withLock { $0.dryRun }
        Task { [self] in
            var entry = AuditEntry(incident: incident, action: action, dryRun: dryRun, at: Date().timeIntervalSince1970)
            entry.id = await store?.audit(entry)
            board.update(incident.engine) { $0.remediation.note(entry) }
            logger.notice("remediation\(dryRun ? " (dry run)" : ""): \(action.summary)", metadata: metadata(incident, action))
            let outcome = dryRun ? ActionOutcome(.dryRun, "dry run: would \(action.summary)")
                                 : await action.perform(incident, context)
            let finished = Date().timeIntervalSince1970
            entry.finish(outcome, at: finished)
            let event = AlertEvent.remediation(incident, action, outcome, at: finished)
            // The channels configured now: a reload while the action ran may have replaced them.
            let router = self.router
            if let id = entry.id {
                await store?.complete(audit: id, outcome, at: finished, alerts: router.route([event]))
            } else {
                // The audit row could not be written: the alert must not depend on it.
                store?.alertsNotQueued(router.route([event]))
            }
            board.update(incident.engine) { $0.remediation.note(entry) }
            var details = metadata(incident, action)
            details["result"] = "\(outcome.result.rawValue)"
            details["detail"] = "\(outcome.detail)"
            switch outcome.result {
            case .failure: logger.error("remediation failed", metadata: details)
            default: logger.notice("remediation \(outcome.result.rawValue)", metadata: details)
            }
            done(outcome.result)
        }
    }

    /// Audits a decision not to act (cooldown, budget, an alert without a mapping).
    func record(_ incident: Incident, action: (any RemediationAction)?, _ outcome: ActionOutcome) async {
        var entry = AuditEntry(incident: incident, action: action ?? NoAction(), dryRun: dryRun, at: Date().timeIntervalSince1970)
        entry.finish(outcome, at: entry.startedAt)
        entry.id = await store?.audit(entry)
        board.update(incident.engine) { $0.remediation.note(entry) }
        var details = metadata(incident, action ?? NoAction())
        details["result"] = "\(outcome.result.rawValue)"
        logger.notice("remediation not taken: \(outcome.detail)", metadata: details)
    }

    private func metadata(_ incident: Incident, _ action: any RemediationAction) -> Logger.Metadata {
        ["engine": "\(incident.engine)", "incident": "\(incident.id)", "source": "\(incident.source)",
         "action": "\(action.kind)", "rung": "\(incident.rung + 1)", "reason": "\(incident.reason)"]
    }
}

/// The audit's placeholder when no action applies (an Alertmanager alert nobody mapped).
struct NoAction: RemediationAction {
    var kind: String { "none" }
    var summary: String { "nothing" }
    func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome { ActionOutcome(.skipped, "nothing to do") }
}

/// Warden-wide remediation settings (`remediation:` at the top of the config).
public struct RemediationSettings: Sendable, Equatable {
    /// Log and audit what would be done, do nothing.
    public var dryRun = ConfigFile.WardenRemediation().dryRun
    /// Across every engine and policy; the default is the config model's.
    public var budget = ConfigFile.WardenRemediation().budget.ledger

    public init() {}
}
