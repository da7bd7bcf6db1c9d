import Foundation
import GRDB
import Logging
import Synchronization

/// Warden's own database (`warden.sqlite` in the state directory): SQLite in WAL mode through GRDB, with
/// versioned migrations. Engine history lives here so that it survives Warden's restarts.
///
/// A failing write (full disk, read-only mount) is logged, counted, and never stops supervision: losing a
/// history row is bad, losing the engine because of it is worse.
public final class WardenStore: Sendable {
    public let path: String
    let pool: DatabasePool
    let logger: Logger
    private let failures = Mutex<(count: Int, failing: Bool)>((0, false))

    /// Throws before delegating to a non-throwing init: a designated init of this class that throws trips
    /// the Swift 6.3 optimizer (CopyPropagation, "Found ownership error") in release builds.
    public convenience init(path: String, logger: Logger) throws {
        self.init(path: path, logger: logger, pool: try Self.open(path: path))
    }

    private init(path: String, logger: Logger, pool: DatabasePool) {
        self.path = path
        self.logger = logger
        self.pool = pool
    }

    /// Rung after every write that queued alerts, so the dispatcher wakes without polling the database.
    public let doorbell = Doorbell()
    private let problems = Mutex<(@Sendable (String?) -> Void)?>(nil)
    private let unqueued = Mutex<(@Sendable ([AlertEvent]) -> Void)?>(nil)

    /// Called with alerts whose write failed together with their event: they must still reach people.
    public func onUnqueuedAlerts(_ handler: @escaping @Sendable ([AlertEvent]) -> Void) {
        unqueued.withLock { $0 = handler }
    }

    func alertsNotQueued(_ alerts: [(channel: String, event: AlertEvent)]) {
        var seen: Set<String> = []
        let events = alerts.map(\.event).filter { seen.insert($0.id).inserted }
        if !events.isEmpty { unqueued.withLock { $0 }?(events) }
    }

    /// Called with a description when writes start failing, and with nil when they work again: the outbox
    /// lives in this database, so these must reach people some other way.
    public func onWriteProblem(_ handler: @escaping @Sendable (String?) -> Void) {
        problems.withLock { $0 = handler }
    }

    private static func open(path: String) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.label = "warden-store"
        do {
            let pool = try DatabasePool(path: path, configuration: configuration)
            try migrator.migrate(pool)
            return pool
        } catch {
            throw StoreError(description: "cannot open Warden's database at \(path): \(describe(error))")
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-engine-events") { db in
            try db.create(table: "engine_events") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("engine", .text).notNull()
                t.column("at", .double).notNull()
                t.column("kind", .text).notNull()
                t.column("pid", .integer)
                t.column("reason", .text)
                t.column("exit_code", .integer)
                t.column("signal", .integer)
                t.column("duration", .double)
                t.column("detail", .text)
                // 1 when the event spent one restart of the budget: the ledger is rebuilt from these.
                t.column("budget", .integer).notNull().defaults(to: 0)
            }
            try db.create(index: "engine_events_by_engine", on: "engine_events", columns: ["engine", "at"])
        }
        migrator.registerMigration("v2-health-and-remediation") { db in
            try db.create(table: "health_transitions") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("engine", .text).notNull()
                t.column("component", .text).notNull()
                t.column("from_level", .text).notNull()
                t.column("to_level", .text).notNull()
                t.column("at", .double).notNull()
                t.column("check_name", .text)
                t.column("value", .double)
                t.column("threshold", .double)
                t.column("reason", .text).notNull()
            }
            try db.create(index: "health_transitions_by_engine", on: "health_transitions", columns: ["engine", "at"])
            // One row per action decided: written before the action runs, completed after, so that an action
            // cut short by a crash shows as interrupted rather than vanishing.
            try db.create(table: "remediations") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("engine", .text).notNull()
                t.column("incident", .text).notNull()
                t.column("source", .text).notNull()
                t.column("rung", .integer).notNull()
                t.column("action", .text).notNull()
                t.column("summary", .text).notNull()
                t.column("reason", .text).notNull()
                t.column("dry_run", .boolean).notNull()
                t.column("started_at", .double).notNull()
                t.column("finished_at", .double)
                t.column("result", .text)
                t.column("detail", .text)
                t.column("output", .text)
            }
            try db.create(index: "remediations_by_engine", on: "remediations", columns: ["engine", "started_at"])
            // Alertmanager delivers at least once: a delivery already seen is acknowledged and ignored.
            try db.create(table: "alertmanager_receipts") { t in
                t.primaryKey("key", .text)
                t.column("received_at", .double).notNull()
                t.column("engine", .text)
                t.column("alertname", .text).notNull()
                t.column("status", .text).notNull()
                t.column("decision", .text).notNull()
            }
        }
        migrator.registerMigration("v3-alert-outbox") { db in
            // One row per event and channel, written in the transaction of the event; deleted when the channel
            // acknowledged it. Delivery follows `id` per channel: the order events happened.
            try db.create(table: "alert_outbox") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("channel", .text).notNull()
                t.column("event", .text).notNull()
                t.column("created_at", .double).notNull()
                t.column("attempts", .integer).notNull().defaults(to: 0)
                t.column("next_attempt_at", .double).notNull().defaults(to: 0)
                t.column("last_error", .text)
                // Set at the first failed attempt: the rows a retry sends together, under the same delivery id.
                t.column("batch", .text)
            }
            try db.create(index: "alert_outbox_by_channel", on: "alert_outbox", columns: ["channel", "id"])
            try db.create(table: "alert_dead_letters") { t in
                t.column("id", .integer).primaryKey()
                t.column("channel", .text).notNull()
                t.column("event", .text).notNull()
                t.column("created_at", .double).notNull()
                t.column("died_at", .double).notNull()
                t.column("attempts", .integer).notNull()
                t.column("reason", .text).notNull()
            }
        }
        migrator.registerMigration("v4-maintenance") { db in
            // One row per engine in maintenance, with what was held back so far.
            try db.create(table: "maintenance") { t in
                t.column("engine", .text).primaryKey()
                t.column("state", .text).notNull()
            }
        }
        return migrator
    }

    /// Number of writes that failed since start.
    public var writeFailures: Int { failures.withLock { $0.count } }

    /// Runs on GRDB's writer queue, off Swift's cooperative threads: a slow fsync must not stall the
    /// supervisors' exit handling and timers.
    public func append(engine: String, record: LifecycleRecord, at time: Double) async {
        let row = EventRow(engine: engine, at: time, record: record)
        await write("record \(row.kind) for engine \(engine)") { db in
            try db.execute(
                sql: """
                    INSERT INTO engine_events (engine, at, kind, pid, reason, exit_code, signal, duration, detail, budget)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [row.engine, row.at, row.kind, row.pid, row.reason, row.exitCode, row.signal,
                            row.duration, row.detail, row.budget ? 1 : 0])
        }
    }

    /// Times of the budget-spending restarts since `since`, after the last budget reset. A read failure is
    /// logged and treated as no history: supervision starts rather than waits on a broken database.
    public func restartTimes(engine: String, since: Double) async -> [Double] {
        do {
            return try await pool.read { db in
                let reset = try Double.fetchOne(db, sql: "SELECT MAX(at) FROM engine_events WHERE engine = ? AND kind = 'budget_reset'",
                                                arguments: [engine]) ?? 0
                return try Double.fetchAll(db, sql: "SELECT at FROM engine_events WHERE engine = ? AND budget = 1 AND at > ? ORDER BY at",
                                           arguments: [engine, max(since, reset)])
            }
        } catch {
            logger.error("cannot read the engine's restart history; its restart budget starts full",
                         metadata: ["engine": "\(engine)", "path": "\(path)", "error": "\(Self.describe(error))"])
            return []
        }
    }

    /// The newest events first, for the status API and tests.
    public func recentEvents(engine: String? = nil, limit: Int = 50) throws -> [StoredEvent] {
        try pool.read { db in
            let filter = engine == nil ? "" : "WHERE engine = ?"
            let arguments: StatementArguments = engine.map { [$0, limit] } ?? [limit]
            return try Row.fetchAll(db, sql: "SELECT * FROM engine_events \(filter) ORDER BY id DESC LIMIT ?", arguments: arguments)
                .map(StoredEvent.init(row:))
        }
    }

    /// `PRAGMA integrity_check`, for tests and the chaos suite.
    public func integrityCheck() throws -> String {
        try pool.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") ?? "" }
    }

    func write(_ what: String, _ body: @escaping @Sendable (Database) throws -> Void) async {
        _ = await writeReturning(what, body)
    }

    /// Runs one write transaction; nil when it failed (logged once per failure streak, counted).
    func writeReturning<T: Sendable>(_ what: String, _ body: @escaping @Sendable (Database) throws -> T) async -> T? {
        do {
            let value = try await pool.write(body)
            let recovered = failures.withLock { state -> Bool in
                defer { state.failing = false }
                return state.failing
            }
            if recovered {
                logger.notice("Warden's database accepts writes again", metadata: ["path": "\(path)"])
                problems.withLock { $0 }?(nil)
            }
            return value
        } catch is CancellationError {
            // The caller's task was cancelled (shutdown), the database is fine.
            return nil
        } catch {
            let first = failures.withLock { state -> Bool in
                state.count += 1
                defer { state.failing = true }
                return !state.failing
            }
            // One error per failure streak: a full disk must not also flood the journal.
            if first {
                logger.error("cannot write to Warden's database; supervision continues without history",
                             metadata: ["path": "\(path)", "action": "\(what)", "error": "\(Self.describe(error))"])
                problems.withLock { $0 }?("cannot write to Warden's database \(path): \(Self.describe(error)); supervision continues, but history and queued alerts are not being saved")
            }
            return nil
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "\(error.resultCode): \(error.message ?? "no details")"
        }
        if let error = error as? CocoaError { return error.localizedDescription }  // creating the directory
        return "\(error)"
    }
}

public struct StoreError: Error, CustomStringConvertible {
    public let description: String
}

/// One row of `engine_events`.
public struct StoredEvent: Sendable, Equatable {
    public var engine: String
    public var at: Double
    public var kind: String
    public var pid: Int32?
    public var reason: String?
    public var exitCode: Int32?
    public var signal: Int32?
    public var detail: String?

    init(row: Row) {
        engine = row["engine"]
        at = row["at"]
        kind = row["kind"]
        pid = row["pid"]
        reason = row["reason"]
        exitCode = row["exit_code"]
        signal = row["signal"]
        detail = row["detail"]
    }
}

/// The flat form of a `LifecycleRecord`.
private struct EventRow {
    var engine: String
    var at: Double
    var kind: String
    var pid: Int32?
    var reason: String?
    var exitCode: Int32?
    var signal: Int32?
    var duration: Double?
    var detail: String?
    var budget = false

    init(engine: String, at: Double, record: LifecycleRecord) {
        self.engine = engine
        self.at = at
        switch record {
        case .started(let pid, let reason):
            kind = "start"
            self.pid = pid
            self.reason = reason?.rawValue
            // Deliberate restarts spend the budget when they start; automatic ones when they are scheduled.
            budget = reason.map { ![.exit, .signal].contains($0) } ?? false
        case .spawnFailed(let message):
            kind = "spawn_failed"
            detail = message
        case .exited(let pid, let status, let ranFor, let clean):
            // A clean stop is audited as such, apart from the failures the restart history counts.
            kind = clean ? "clean_exit" : "exit"
            self.pid = pid
            duration = ranFor
            switch status {
            case .exited(let code): exitCode = code
            case .signaled(let signal): self.signal = signal.number
            }
            detail = status.description
        case .restartScheduled(let reason, let delay, let attempt):
            kind = "restart_scheduled"
            self.reason = reason.rawValue
            duration = delay
            detail = "attempt \(attempt + 1)"
            budget = true
        case .killedAfterGrace(let pid):
            kind = "killed_after_grace"
            self.pid = pid
        case .gaveUp(let restarts):
            kind = "gave_up"
            detail = "\(restarts) restarts in the budget window"
        case .budgetReset:
            kind = "budget_reset"
        }
    }
}
