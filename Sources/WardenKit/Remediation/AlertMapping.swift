/// What Warden does when Alertmanager posts a given alert for an engine.
public struct AlertMapping: Sendable {
    public var alertname: String
    /// Further labels the alert must carry with these values.
    public var labels: [String: String]
    public var action: any RemediationAction
    /// Whether a resolved notification runs the action too (most actions only make sense while firing).
    public var onResolved: Bool
    /// The least time between two actions of this mapping for one engine.
    public var cooldown: Duration

    public init(alertname: String, labels: [String: String] = [:], action: any RemediationAction, onResolved: Bool = false,
                cooldown: Duration = .seconds(300)) {
        self.alertname = alertname
        self.labels = labels
        self.action = action
        self.onResolved = onResolved
        self.cooldown = cooldown
    }

    func matches(_ alertLabels: [String: String]) -> Bool {
        alertLabels["alertname"] == alertname && labels.allSatisfy { alertLabels[$0.key] == $0.value }
    }
}
