import Foundation
import Synchronization

/// Which restarts are told: the first unplanned exit of a burst at once; the exits within `burst` of the last
/// one told are held back and counted in the next message. A crash loop is one message per burst; the spent
/// budget comes as the process component's CRITICAL. Pure: times in, decisions out.
public struct RestartBurst: Sendable, Equatable {
    public var burst: Duration
    private var lastToldAt: Double?
    private var heldBack = 0

    public init(burst: Duration) { self.burst = burst }

    /// Nil when this exit is held back; otherwise how many were held back since the last message.
    public mutating func exit(at now: Double) -> Int? {
        if let lastToldAt, now - lastToldAt < burst.seconds {
            heldBack += 1
            return nil
        }
        defer {
            lastToldAt = now
            heldBack = 0
        }
        return heldBack
    }
}

/// Tells people of the restarts Warden makes after an unplanned exit, at the level the config sets, one message
/// per burst per engine. Planned stops (Warden's own, a restart someone asked for) never get here, and neither
/// does an engine's clean exit (code 0): the engine chose to stop.
public final class RestartAlerts: Sendable {
    private struct State {
        var settings: ConfigFile.Restarts
        var router: AlertRouter
        var bursts: [String: RestartBurst] = [:]
    }

    private let state: Mutex<State>
    private let store: WardenStore?
    /// Engines a person is working on: their restarts are counted, not told.
    private let maintenance: MaintenanceDesk?

    public init(settings: ConfigFile.Restarts, router: AlertRouter, store: WardenStore?, maintenance: MaintenanceDesk? = nil) {
        state = Mutex(State(settings: settings, router: router))
        self.store = store
        self.maintenance = maintenance
    }

    /// A reload's settings and channels; each engine's burst goes on.
    public func reconfigure(_ settings: ConfigFile.Restarts, router: AlertRouter) {
        state.withLock { state in
            state.settings = settings
            state.router = router
            for engine in state.bursts.keys { state.bursts[engine]?.burst = settings.burst }
        }
    }

    /// An unplanned exit (`failure` says how it ended) after which the engine restarts in `delay` seconds.
    func restarting(_ engine: String, failure: String, delay: Double, budgetLeft: Int, budget: RestartBudget, at now: Double) async {
        if await maintenance?.holds(engine, at: now) == true {
            maintenance?.heldBack(engine, alerts: 1)
            return
        }
        let routed: [(channel: String, event: AlertEvent)] = state.withLock { state in
            guard let level = state.settings.level else { return [] }
            var burst = state.bursts[engine] ?? RestartBurst(burst: state.settings.burst)
            defer { state.bursts[engine] = burst }
            guard let heldBack = burst.exit(at: now) else { return [] }
            return state.router.route([.restart(engine: engine, failure: failure, delay: delay, budgetLeft: budgetLeft,
                                                budget: budget, heldBack: heldBack, level: level, at: now)])
        }
        guard !routed.isEmpty else { return }
        await store?.enqueue(routed, at: now)
    }
}

extension AlertEvent {
    /// An unplanned exit and the restart that follows: how it ended, when the engine comes back, what is left of
    /// the budget, and how many exits of the burst were not told one by one.
    static func restart(engine: String, failure: String, delay: Double, budgetLeft: Int, budget: RestartBudget,
                        heldBack: Int, level: HealthLevel, at now: Double) -> AlertEvent {
        var reason = "\(failure); restarting in \(Units.formatDuration(.seconds(double: delay))), "
            + "\(budgetLeft) of \(budget.limit) restarts left within \(Units.formatDuration(budget.window))"
        if heldBack > 0 {
            reason += "; \(Units.counted(heldBack, "earlier exit")) of this burst not told one by one"
        }
        return AlertEvent(kind: .restart, engine: engine, component: HealthComponent.process.rawValue, level: level,
                          reason: reason, value: Double(budgetLeft), at: now)
    }
}
