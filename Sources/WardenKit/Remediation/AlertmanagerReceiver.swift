import Foundation
import Logging
import Synchronization

/// Turns Alertmanager notifications into remediation: finds the engine (the `engine` label, or the only
/// engine), the mapping (alertname and labels), de-duplicates redeliveries through the store, applies the
/// mapping's cooldown and Warden's global budget, and launches the action in the background.
public final class AlertmanagerReceiver: Sendable {
    let mappings: [String: [AlertMapping]]
    let remediator: Remediator
    let logger: Logger
    /// Engines a person is working on: their requests are held back.
    let maintenance: MaintenanceDesk?
    /// When each (engine, mapping) last acted.
    private let lastActed: Mutex<[String: Double]>

    /// `priorActions` (engine, source, time) from the audit restart the mappings' cooldowns after a restart.
    public init(engines: [EngineConfig], remediator: Remediator, logger: Logger,
                priorActions: [PriorAction] = [], maintenance: MaintenanceDesk? = nil) {
        self.maintenance = maintenance
        let mappings = Dictionary(uniqueKeysWithValues: engines.map { ($0.name, $0.remediation.alertmanager) })
        self.mappings = mappings
        self.remediator = remediator
        self.logger = logger
        var acted: [String: Double] = [:]
        for prior in priorActions {
            guard case .alertmanager(let name) = prior.source else { continue }
            for (index, mapping) in (mappings[prior.engine] ?? []).enumerated() where mapping.alertname == name {
                acted["\(prior.engine)#\(index)"] = max(acted["\(prior.engine)#\(index)"] ?? 0, prior.at)
            }
        }
        lastActed = Mutex(acted)
    }

    /// What happened to each alert of one notification.
    public struct Summary: Codable, Sendable, Equatable {
        public var acted = 0
        public var duplicates = 0
        public var ignored = 0
    }

    public func receive(_ alerts: [ReceivedAlert], now: Double = Date().timeIntervalSince1970) async -> Summary {
        var summary = Summary()
        for alert in alerts {
            let engine = alert.labels["engine"] ?? (mappings.count == 1 ? mappings.keys.first : nil)
            // Claimed first: a redelivery racing this one, or arriving after a restart, is a duplicate.
            let fresh = await remediator.store?.claim(alert: alert.deliveryKey, engine: engine, alertname: alert.alertname,
                                                      status: alert.status, decision: "received", at: now) ?? true
            guard fresh else {
                summary.duplicates += 1
                continue
            }
            var plan = decide(alert, engine: engine)
            if plan.act, let engine, await maintenance?.holds(engine, at: now) == true {
                // A person is working on it: the request is audited, counted in what maintenance held back, not run.
                plan.act = false
                plan.decision = "the engine is in maintenance"
                plan.result = .suppressed
                maintenance?.heldBack(engine, actions: 1)
            } else if plan.act, let refusal = commit(plan.key, cooldown: plan.cooldown, now: now) {
                plan.act = false
                plan.decision = refusal
                plan.result = .suppressed
            }
            await remediator.store?.settle(alert: alert.deliveryKey, decision: plan.decision)
            var metadata: Logger.Metadata = ["alertname": "\(alert.alertname)", "status": "\(alert.status)",
                                             "decision": "\(plan.decision)"]
            metadata["engine"] = engine.map { "\($0)" }
            guard let incident = plan.incident else {
                logger.warning("Alertmanager alert not acted on", metadata: metadata)
                summary.ignored += 1
                continue
            }
            if plan.act, let action = plan.action {
                remediator.launch(action, for: incident)
                summary.acted += 1
            } else {
                await remediator.record(incident, action: plan.action, ActionOutcome(plan.result, plan.decision))
                summary.ignored += 1
            }
        }
        return summary
    }

    private struct Plan {
        var decision: String
        var incident: Incident?
        var action: (any RemediationAction)?
        var act = false
        var result = ActionResult.skipped
        var key = ""
        var cooldown: Duration = .zero
    }

    private func decide(_ alert: ReceivedAlert, engine: String?) -> Plan {
        guard let engine else { return Plan(decision: "no engine label, and Warden supervises several engines") }
        guard let mappings = mappings[engine] else { return Plan(decision: "no engine named \(engine)") }
        let level = switch alert.labels["severity"]?.lowercased() {
        case "critical": HealthLevel.critical
        case "warning", "degraded": HealthLevel.degraded
        default: HealthLevel.unhealthy
        }
        let incident = Incident(id: "\(engine)/alertmanager/\(alert.alertname)/\(alert.fingerprint)/\(alert.startsAt)/\(alert.status)",
                                engine: engine, source: .alertmanager(alert.alertname), component: nil, level: level,
                                check: nil, value: nil, threshold: nil,
                                reason: alert.annotations["summary"] ?? "\(alert.alertname) \(alert.status)")
        guard let index = mappings.firstIndex(where: { $0.matches(alert.labels) }) else {
            return Plan(decision: "no mapping for alert \(alert.alertname)", incident: incident)
        }
        let mapping = mappings[index]
        if alert.isResolved && !mapping.onResolved {
            return Plan(decision: "resolved; the mapping acts on firing alerts only", incident: incident, action: mapping.action)
        }
        return Plan(decision: "act: \(mapping.action.summary)", incident: incident, action: mapping.action, act: true,
                    key: "\(engine)#\(index)", cooldown: mapping.cooldown)
    }

    /// Starts the mapping's cooldown and takes one use of the global budget, atomically (two notifications
    /// racing for one mapping act once). Returns why not, or nil when the action may run.
    private func commit(_ key: String, cooldown: Duration, now: Double) -> String? {
        lastActed.withLock { acted in
            if let last = acted[key], now - last < cooldown.seconds {
                return "cooldown: acted \(Int(now - last)) s ago (cooldown \(Units.formatDuration(cooldown)))"
            }
            let allowed = remediator.global.withLock { ledger -> Bool in
                guard ledger.remaining(now: now) > 0 else { return false }
                ledger.record(now: now)
                return true
            }
            guard allowed else { return "Warden's remediation budget is spent" }
            acted[key] = now
            return nil
        }
    }
}
