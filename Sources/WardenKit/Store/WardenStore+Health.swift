import Foundation
import GRDB

/// Health transitions, the remediation audit and Alertmanager receipts.
extension WardenStore {
    /// Stores transitions and the alerts they cause in one transaction: either both or neither.
    public func record(engine: String, transitions: [HealthTransition],
                       alerts: [(channel: String, event: AlertEvent)] = []) async {
        guard !transitions.isEmpty || !alerts.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        defer { if !alerts.isEmpty { doorbell.ring() } }
        let written = await writeReturning("record \(transitions.count) health transitions for engine \(engine)") { db -> Bool in
            try Self.enqueue(alerts, in: db, at: now)
            for t in transitions {
                try db.execute(
                    sql: """
                        INSERT INTO health_transitions (engine, component, from_level, to_level, at, check_name, value, threshold, reason)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [engine, t.component.rawValue, t.from.name, t.to.name, t.at, t.finding?.check.rawValue,
                                t.finding?.value, t.finding?.threshold, t.reason])
            }
            return true
        }
        if written == nil { alertsNotQueued(alerts) }
    }

    /// Writes the audit row of an action about to run (or a decision not to run one, already finished).
    public func audit(_ entry: AuditEntry) async -> Int64? {
        await writeReturning("audit \(entry.action) for engine \(entry.engine)") { db in
            try db.execute(
                sql: """
                    INSERT INTO remediations (engine, incident, source, rung, action, summary, reason, dry_run, started_at,
                                              finished_at, result, detail, output)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [entry.engine, entry.incident, entry.source, entry.rung, entry.action, entry.summary, entry.reason,
                            entry.dryRun, entry.startedAt, entry.finishedAt, entry.result?.rawValue, entry.detail, entry.output])
            return db.lastInsertedRowID
        }
    }

    /// Completes an audit row and queues the alerts about it, in one transaction.
    public func complete(audit id: Int64, _ outcome: ActionOutcome, at time: Double,
                         alerts: [(channel: String, event: AlertEvent)] = []) async {
        defer { if !alerts.isEmpty { doorbell.ring() } }
        let written = await writeReturning("complete audit row \(id)") { db -> Bool in
            try db.execute(sql: "UPDATE remediations SET finished_at = ?, result = ?, detail = ?, output = ? WHERE id = ?",
                           arguments: [time, outcome.result.rawValue, outcome.detail, outcome.output, id])
            try Self.enqueue(alerts, in: db, at: time)
            return true
        }
        if written == nil { alertsNotQueued(alerts) }
    }

    /// Actions that were running when Warden stopped abruptly: marked, never run again.
    public func markInterruptedActions(at time: Double) async -> Int {
        await writeReturning("mark interrupted actions") { db in
            try db.execute(sql: """
                UPDATE remediations SET finished_at = ?, result = 'interrupted',
                detail = 'Warden stopped before the action finished; it was not retried' WHERE result IS NULL
                """, arguments: [time])
            return db.changesCount
        } ?? 0
    }

    public func recentAudit(engine: String, limit: Int = 20) throws -> [AuditEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM remediations WHERE engine = ? ORDER BY id DESC LIMIT ?",
                             arguments: [engine, limit]).map(AuditEntry.init(row:))
        }
    }

    public func recentTransitions(engine: String, limit: Int = 20) throws -> [StoredTransition] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM health_transitions WHERE engine = ? ORDER BY id DESC LIMIT ?",
                             arguments: [engine, limit]).map(StoredTransition.init(row:))
        }
    }

    /// What Warden finally did with a claimed delivery.
    public func settle(alert key: String, decision: String) async {
        await write("record the decision on an Alertmanager delivery") { db in
            try db.execute(sql: "UPDATE alertmanager_receipts SET decision = ? WHERE key = ?", arguments: [decision, key])
        }
    }

    /// Times of the remediation actions taken since `since` (suppressed and skipped ones did nothing), by
    /// engine and source, to rebuild budgets and cooldowns when Warden starts.
    public func actionTimes(since: Double) async -> [PriorAction] {
        do {
            return try await pool.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT engine, source, started_at FROM remediations WHERE started_at > ?
                    AND (result IS NULL OR result NOT IN ('suppressed', 'skipped')) ORDER BY started_at
                    """, arguments: [since]).compactMap { row in
                        ActionSource(audited: row["source"]).map { PriorAction(engine: row["engine"], source: $0, at: row["started_at"]) }
                    }
            }
        } catch {
            logger.error("cannot read the remediation history; budgets and cooldowns start afresh",
                         metadata: ["path": "\(path)", "error": "\(Self.describe(error))"])
            return []
        }
    }

    /// Records an Alertmanager delivery; false when the same key was seen before (a redelivery).
    public func claim(alert key: String, engine: String?, alertname: String, status: String, decision: String,
                      at time: Double) async -> Bool {
        await writeReturning("record Alertmanager delivery") { db in
            try db.execute(sql: """
                INSERT OR IGNORE INTO alertmanager_receipts (key, received_at, engine, alertname, status, decision)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [key, time, engine, alertname, status, decision])
            return db.changesCount == 1
        } ?? true
    }
}

/// One row of the remediation audit.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64?
    public var engine: String
    public var incident: String
    public var source: String
    public var rung: Int
    public var action: String
    public var summary: String
    public var reason: String
    public var dryRun: Bool
    public var startedAt: Double
    public var finishedAt: Double?
    public var result: ActionResult?
    public var detail: String?
    public var output: String?

    /// The status API shows everything but `output`: a helper's output may quote its environment or a
    /// response may carry data that is nobody's business on an unauthenticated endpoint. The database keeps it.
    enum CodingKeys: String, CodingKey {
        case id, engine, incident, source, rung, action, summary, reason, dryRun, startedAt, finishedAt, result, detail
    }

    public init(incident: Incident, action: any RemediationAction, dryRun: Bool, at time: Double) {
        engine = incident.engine
        self.incident = incident.id
        source = incident.source.description
        rung = incident.rung
        self.action = action.kind
        summary = action.summary
        reason = incident.reason
        self.dryRun = dryRun
        startedAt = time
    }

    init(row: Row) {
        id = row["id"]
        engine = row["engine"]
        incident = row["incident"]
        source = row["source"]
        rung = row["rung"]
        action = row["action"]
        summary = row["summary"]
        reason = row["reason"]
        dryRun = row["dry_run"]
        startedAt = row["started_at"]
        finishedAt = row["finished_at"]
        result = (row["result"] as String?).flatMap(ActionResult.init(rawValue:))
        detail = row["detail"]
        output = row["output"]
    }

    public mutating func finish(_ outcome: ActionOutcome, at time: Double) {
        finishedAt = time
        result = outcome.result
        detail = outcome.detail
        output = outcome.output
    }
}

public struct StoredTransition: Sendable, Equatable {
    public var engine: String
    public var component: String
    public var from: String
    public var to: String
    public var at: Double
    public var reason: String

    init(row: Row) {
        engine = row["engine"]
        component = row["component"]
        from = row["from_level"]
        to = row["to_level"]
        at = row["at"]
        reason = row["reason"]
    }
}
