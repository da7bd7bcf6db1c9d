import Foundation

/// Something people must hear about: a health transition, a reminder that a problem goes on, a remediation
/// and its result, or a problem of Warden's own. Stored as JSON in the outbox; the webhook payload carries it
/// as is (field names are part of the versioned payload: add, never rename).
public struct AlertEvent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        /// A component changed level (up or down).
        case transition
        /// A component is still UNHEALTHY or CRITICAL after `repeat_interval`.
        case reminder
        /// A remediation action ended.
        case remediation
        /// The engine exited unplanned and Warden restarts it.
        case restart
        /// A person began or ended maintenance of the engine: said on every channel.
        case maintenance
        /// Warden itself has a problem (its database, its config).
        case warden
        /// Sent on request to check that a channel works.
        case test
    }

    /// Unique per event: receivers de-duplicate on it.
    public var id: String
    public var kind: Kind
    public var engine: String?
    public var component: String?
    public var from: HealthLevel?
    /// The level the event is routed by: the new level of a transition, the incident's level of an action.
    public var level: HealthLevel
    public var reason: String
    public var value: Double?
    public var threshold: Double?
    /// What Warden did or will do, and how it went.
    public var action: String?
    public var result: String?
    public var at: Double

    public init(kind: Kind, engine: String?, component: String? = nil, from: HealthLevel? = nil, level: HealthLevel,
                reason: String, value: Double? = nil, threshold: Double? = nil, action: String? = nil,
                result: String? = nil, at: Double, id: String = UUID().uuidString.lowercased()) {
        self.id = id
        self.kind = kind
        self.engine = engine
        self.component = component
        self.from = from
        self.level = level
        self.reason = reason
        self.value = value
        self.threshold = threshold
        self.action = action
        self.result = result
        self.at = at
    }

    /// The highest level involved: a recovery from CRITICAL matters to whoever heard of the CRITICAL.
    public var routingLevel: HealthLevel { max(level, from ?? level) }

    // Every event about an engine is built here, from what the judge and the remediator know.

    /// A component changed level; `acting` names the policies that will act on it.
    static func transition(_ transition: HealthTransition, engine: String, acting: [String]) -> AlertEvent {
        AlertEvent(kind: .transition, engine: engine, component: transition.component.rawValue, from: transition.from,
                   level: transition.to, reason: transition.reason, value: transition.finding?.value,
                   threshold: transition.finding?.threshold,
                   action: acting.isEmpty ? nil : "Warden acts: " + acting.joined(separator: ", "), at: transition.at)
    }

    /// A problem goes on: the component's level, and the finding behind it, since when.
    static func reminder(_ component: HealthComponent, _ state: ComponentHealth, engine: String, at now: Double) -> AlertEvent {
        let finding = state.reading?.worst
        return AlertEvent(kind: .reminder, engine: engine, component: component.rawValue, level: state.level,
                          reason: (finding?.message ?? state.level.name) + " (since \(AlertFormat.timestamp(state.since)))",
                          value: finding?.value, threshold: finding?.threshold, at: now)
    }

    /// An action ended: what was done, on whose request, at which step, and how it went.
    static func remediation(_ incident: Incident, _ action: any RemediationAction, _ outcome: ActionOutcome,
                            at finished: Double) -> AlertEvent {
        AlertEvent(kind: .remediation, engine: incident.engine, component: incident.component?.rawValue,
                   level: incident.level, reason: incident.reason, value: incident.value, threshold: incident.threshold,
                   action: "\(action.summary) (\(incident.source), step \(incident.rung + 1))",
                   result: "\(outcome.result.rawValue): \(outcome.detail)", at: finished)
    }
}
