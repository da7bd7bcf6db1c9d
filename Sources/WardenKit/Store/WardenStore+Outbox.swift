import Foundation
import GRDB
import Synchronization

/// A counter the alert dispatcher watches: cheaper than asking the database whether anything new arrived.
public final class Doorbell: Sendable {
    private let rings = Mutex(0)
    public init() {}
    public func ring() { rings.withLock { $0 += 1 } }
    public var count: Int { rings.withLock { $0 } }
}

/// One queued delivery.
public struct OutboxRow: Sendable, Equatable {
    public var id: Int64
    public var channel: String
    public var event: AlertEvent
    public var createdAt: Double
    public var attempts: Int
    public var nextAttemptAt: Double
    public var lastError: String?
}

/// The alert outbox (DESIGN.md §7): written in the same transaction as the event that caused it, delivered in
/// order per channel, deleted on acknowledgement, moved to the dead letters when it fails for good.
extension WardenStore {
    static let eventEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Inside a write transaction: queues each event for each of its channels.
    static func enqueue(_ alerts: [(channel: String, event: AlertEvent)], in db: Database, at time: Double) throws {
        for alert in alerts {
            let json = String(decoding: try eventEncoder.encode(alert.event), as: UTF8.self)
            try db.execute(sql: "INSERT INTO alert_outbox (channel, event, created_at, next_attempt_at) VALUES (?, ?, ?, ?)",
                           arguments: [alert.channel, json, time, time])
        }
    }

    /// Queues alerts on their own (a test message, a problem of Warden's).
    public func enqueue(_ alerts: [(channel: String, event: AlertEvent)], at time: Double) async {
        guard !alerts.isEmpty else { return }
        await write("queue \(alerts.count) alerts") { db in try Self.enqueue(alerts, in: db, at: time) }
        doorbell.ring()
    }

    /// The oldest queued deliveries of a channel, in order.
    public func pendingAlerts(channel: String, limit: Int) async throws -> [OutboxRow] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alert_outbox WHERE channel = ? ORDER BY id LIMIT ?",
                             arguments: [channel, limit]).compactMap(Self.outboxRow)
        }
    }

    private static func outboxRow(_ row: Row) -> OutboxRow? {
        let json: String = row["event"]
        guard let event = try? JSONDecoder().decode(AlertEvent.self, from: Data(json.utf8)) else { return nil }
        return OutboxRow(id: row["id"], channel: row["channel"], event: event, createdAt: row["created_at"],
                         attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], lastError: row["last_error"])
    }

    /// After Warden restarts, what waited for a retry is tried at once: the outage may well be over.
    public func retryQueuedNow() async {
        await write("retry queued alerts") { db in try db.execute(sql: "UPDATE alert_outbox SET next_attempt_at = 0") }
    }

    public func acknowledge(_ ids: [Int64]) async {
        await write("acknowledge \(ids.count) alerts") { db in
            try db.execute(sql: "DELETE FROM alert_outbox WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
        }
    }

    public func reschedule(_ ids: [Int64], at next: Double, error: String) async {
        await write("reschedule \(ids.count) alerts") { db in
            try db.execute(sql: """
                UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
                WHERE id IN (\(ids.map(String.init).joined(separator: ",")))
                """, arguments: [next, error])
        }
    }

    public func deadLetter(_ ids: [Int64], reason: String, at time: Double) async {
        await write("move \(ids.count) alerts to the dead letters") { db in
            let list = ids.map(String.init).joined(separator: ",")
            try db.execute(sql: """
                INSERT OR REPLACE INTO alert_dead_letters (id, channel, event, created_at, died_at, attempts, reason)
                SELECT id, channel, event, created_at, ?, attempts + 1, ? FROM alert_outbox WHERE id IN (\(list))
                """, arguments: [time, reason])
            try db.execute(sql: "DELETE FROM alert_outbox WHERE id IN (\(list))")
        }
    }

    /// Per channel: queued deliveries, the oldest one's creation time, the last error, dead letters.
    public func outboxSummary() throws -> [String: OutboxSummary] {
        try pool.read { db in
            var summary: [String: OutboxSummary] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT channel, COUNT(*) AS depth, MIN(created_at) AS oldest,
                (SELECT last_error FROM alert_outbox o2 WHERE o2.channel = o.channel ORDER BY id LIMIT 1) AS head_error
                FROM alert_outbox o GROUP BY channel
                """) {
                summary[row["channel"]] = OutboxSummary(depth: row["depth"], oldest: row["oldest"], lastError: row["head_error"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT channel, COUNT(*) AS dead FROM alert_dead_letters GROUP BY channel") {
                summary[row["channel"], default: OutboxSummary()].deadLetters = row["dead"]
            }
            return summary
        }
    }
}

public struct OutboxSummary: Sendable, Equatable, Codable {
    public var depth = 0
    public var oldest: Double?
    public var lastError: String?
    public var deadLetters = 0
}
