/// Which channels hear of which events: each channel has a minimum level. Recoveries go wherever the problem
/// went (a transition is routed by the higher of its two levels); tests and Warden's own problems go everywhere.
public struct AlertRouter: Sendable {
    public var channels: [(name: String, minLevel: HealthLevel)]

    public init(channels: [(name: String, minLevel: HealthLevel)]) {
        self.channels = channels
    }

    public func route(_ events: [AlertEvent]) -> [(channel: String, event: AlertEvent)] {
        events.flatMap { event in
            channels.filter { channel in
                [.test, .warden, .maintenance].contains(event.kind) || event.routingLevel >= channel.minLevel
            }.map { (channel: $0.name, event: event) }
        }
    }
}

/// When an ongoing UNHEALTHY or CRITICAL is said again: `interval` after it was last said (by its transition
/// or a previous reminder), never at every evaluation. Pure.
public struct ReminderSchedule: Sendable {
    public let interval: Duration
    private var lastSaid: [HealthComponent: Double] = [:]

    public init(interval: Duration) { self.interval = interval }

    /// The schedule under a reloaded interval, remembering when each problem was last said.
    public init(interval: Duration, continuing earlier: ReminderSchedule) {
        self.interval = interval
        lastSaid = earlier.lastSaid
    }

    /// The components due for a reminder now, after this evaluation's transitions.
    public mutating func due(_ components: [HealthComponent: ComponentHealth], transitions: [HealthTransition],
                             now: Double) -> [HealthComponent] {
        for transition in transitions {
            if transition.to >= .unhealthy { lastSaid[transition.component] = now } else { lastSaid[transition.component] = nil }
        }
        guard interval > .zero else { return [] }
        var due: [HealthComponent] = []
        for (component, state) in components.sorted(by: { $0.key < $1.key }) where state.level >= .unhealthy {
            let last = lastSaid[component] ?? state.since
            if now - last >= interval.seconds {
                due.append(component)
                lastSaid[component] = now
            }
        }
        return due
    }
}
