import Foundation
import Synchronization

/// A person working on an engine: until it ends (by hand, or at `until`), Warden keeps observing, judging and
/// exporting, but takes no remediation and tells nobody of levels or restarts for that engine. What it held
/// back is counted and said when maintenance ends.
public struct Maintenance: Sendable, Equatable, Codable {
    public var reason: String
    public var since: Double
    /// None: until a person ends it.
    public var until: Double?
    /// Alerts about the engine not sent: transitions, reminders, restarts.
    public var heldBackAlerts = 0
    /// Actions not taken: Alertmanager's requests refused.
    public var heldBackActions = 0

    public init(reason: String, since: Double, until: Double?) {
        self.reason = reason
        self.since = since
        self.until = until
    }

    public func isOver(at now: Double) -> Bool { until.map { now >= $0 } ?? false }

    /// What is said on every channel when it begins.
    func beginning(engine: String) -> AlertEvent {
        let end = until.map { "until \(AlertFormat.timestamp($0))" } ?? "until ended by hand"
        return AlertEvent(kind: .maintenance, engine: engine, level: .healthy,
                          reason: "maintenance begins (\(end)): \(reason); no remediation and no level alerts for this engine meanwhile",
                          at: since)
    }

    /// What is said on every channel when it ends, with what was held back.
    func ending(engine: String, expired: Bool, at now: Double) -> AlertEvent {
        let held = "held back \(Units.counted(heldBackAlerts, "alert")) and \(Units.counted(heldBackActions, "action"))"
        return AlertEvent(kind: .maintenance, engine: engine, level: .healthy,
                          reason: "maintenance \(expired ? "expired" : "ended") after \(Units.formatDuration(.seconds(double: now - since))) (\(reason)); \(held)",
                          at: now)
    }
}

/// Maintenance of every engine: begun and ended over HTTP or the command line, kept in Warden's database (it
/// survives a restart of Warden), shown on the board, and ended when it expires.
public final class MaintenanceDesk: Sendable {
    private let board: StatusBoard
    private let store: WardenStore?
    /// The channels the begin and end messages go to (every one).
    private let router = Mutex(AlertRouter(channels: []))

    public init(board: StatusBoard, store: WardenStore?) {
        self.board = board
        self.store = store
    }

    /// The channels as configured now.
    public func reconfigure(router: AlertRouter) { self.router.withLock { $0 = router } }

    private func announce(_ event: AlertEvent) async {
        await store?.enqueue(router.withLock { $0 }.route([event]), at: event.at)
    }

    /// The maintenance Warden's database remembers, on the board again after a restart of Warden.
    func restore() async {
        for (engine, maintenance) in await store?.maintenances() ?? [:] where board.status(of: engine) != nil {
            board.update(engine) { $0.maintenance = maintenance }
        }
    }

    /// Begins (or replaces) maintenance of `engine`; nil when there is no such engine.
    public func begin(_ engine: String, reason: String, for duration: Duration?, at now: Double) async -> Maintenance? {
        guard board.status(of: engine) != nil else { return nil }
        let maintenance = Maintenance(reason: reason, since: now, until: duration.map { now + $0.seconds })
        await store?.saveMaintenance(engine: engine, maintenance)
        board.update(engine) { $0.maintenance = maintenance }
        await announce(maintenance.beginning(engine: engine))
        return maintenance
    }

    /// Ends maintenance of `engine`, by hand or because it expired; the maintenance that ended, if any.
    @discardableResult
    public func end(_ engine: String, expired: Bool = false, at now: Double) async -> Maintenance? {
        var ended: Maintenance?
        board.update(engine) { status in
            ended = status.maintenance
            status.maintenance = nil
        }
        guard let ended else { return nil }
        await store?.endMaintenance(engine: engine)
        await announce(ended.ending(engine: engine, expired: expired, at: now))
        return ended
    }

    /// Whether `engine` is in maintenance now; one that has expired is ended here.
    public func holds(_ engine: String, at now: Double) async -> Bool {
        guard let maintenance = board.status(of: engine)?.maintenance else { return false }
        if maintenance.isOver(at: now) {
            await end(engine, expired: true, at: now)
            return false
        }
        return true
    }

    /// Counts what was held back for `engine`.
    func heldBack(_ engine: String, alerts: Int = 0, actions: Int = 0) {
        board.update(engine) { status in
            status.maintenance?.heldBackAlerts += alerts
            status.maintenance?.heldBackActions += actions
        }
    }
}
