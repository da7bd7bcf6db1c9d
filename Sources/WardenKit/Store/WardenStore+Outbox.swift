import Foundation
import GRDB
import Synchronization

/// Wakes the alert dispatcher's channel loops when alerts are queued: no polling of the database, and no
/// timer ticking while nothing happens.
public final class Doorbell: Sendable {
    private let listeners = Mutex<[Int: AsyncStream<Void>.Continuation]>([:])
    private let nextKey = Mutex(0)
    public init() {}

    /// A stream that yields at every ring; its continuation is returned too, so the listener can wake itself
    /// (a retry timer).
    public func subscribe() -> (AsyncStream<Void>, AsyncStream<Void>.Continuation) {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let key = nextKey.withLock { key in
            defer { key += 1 }
            return key
        }
        listeners.withLock { $0[key] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.listeners.withLock { $0.removeValue(forKey: key) } }
        return (stream, continuation)
    }

    public func ring() {
        for listener in listeners.withLock({ Array($0.values) }) { listener.yield(()) }
    }
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
    /// The delivery id this row was first tried under: a retry sends the same rows under the same id.
    public var batch: String?
}

/// The alert outbox: written in the same transaction as the event that caused it, so that no alert is lost
/// and none is sent for an event that was not recorded; delivered in order per channel, deleted on
/// acknowledgement, moved to the dead letters when it fails for good.
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

    /// The oldest queued deliveries of a channel, in order, the channel's queue depth, and the ids of rows
    /// that cannot be read (to be dead-lettered, not skipped forever).
    public func pendingAlerts(channel: String, limit: Int) async throws
        -> (rows: [OutboxRow], depth: Int, unreadable: [Int64]) {
        try await pool.read { db in
            var unreadable: [Int64] = []
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM alert_outbox WHERE channel = ? ORDER BY id LIMIT ?",
                                        arguments: [channel, limit]).compactMap { row -> OutboxRow? in
                guard let decoded = Self.outboxRow(row) else {
                    unreadable.append(row["id"])
                    return nil
                }
                return decoded
            }
            let depth = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM alert_outbox WHERE channel = ?", arguments: [channel]) ?? 0
            return (rows, depth, unreadable)
        }
    }

    private static func outboxRow(_ row: Row) -> OutboxRow? {
        let json: String = row["event"]
        guard let event = try? JSONDecoder().decode(AlertEvent.self, from: Data(json.utf8)) else { return nil }
        return OutboxRow(id: row["id"], channel: row["channel"], event: event, createdAt: row["created_at"],
                         attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"], lastError: row["last_error"],
                         batch: row["batch"])
    }

    /// After Warden restarts, what waited for a retry is tried at once: the outage may well be over.
    public func retryQueuedNow() async {
        await write("retry queued alerts") { db in try db.execute(sql: "UPDATE alert_outbox SET next_attempt_at = 0") }
    }

    /// False when the write failed: the caller must not send these rows again as if they were new.
    @discardableResult
    public func acknowledge(_ ids: [Int64]) async -> Bool {
        await writeReturning("acknowledge \(ids.count) alerts") { db -> Bool in
            try db.execute(sql: "DELETE FROM alert_outbox WHERE id IN (\(ids.map(String.init).joined(separator: ",")))")
            return true
        } ?? false
    }

    @discardableResult
    public func reschedule(_ ids: [Int64], at next: Double, error: String, batch: String) async -> Bool {
        await writeReturning("reschedule \(ids.count) alerts") { db -> Bool in
            try db.execute(sql: """
                UPDATE alert_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?, batch = ?
                WHERE id IN (\(ids.map(String.init).joined(separator: ",")))
                """, arguments: [next, error, batch])
            return true
        } ?? false
    }

    @discardableResult
    public func deadLetter(_ ids: [Int64], reason: String, at time: Double) async -> Bool {
        await writeReturning("move \(ids.count) alerts to the dead letters") { db -> Bool in
            try Self.moveToDeadLetters(db, where: "id IN (\(ids.map(String.init).joined(separator: ",")))", [],
                                       reason: reason, at: time, attempted: true)
            return true
        } ?? false
    }

    /// Inside a write transaction: moves the queued rows `condition` selects to the dead letters. `attempted`: the
    /// failure was an attempt at delivery, counted with the ones before it.
    private static func moveToDeadLetters(_ db: Database, where condition: String, _ arguments: StatementArguments,
                                          reason: String, at time: Double, attempted: Bool) throws {
        try db.execute(sql: """
            INSERT OR REPLACE INTO alert_dead_letters (id, channel, event, created_at, died_at, attempts, reason)
            SELECT id, channel, event, created_at, ?, attempts + \(attempted ? 1 : 0), ? FROM alert_outbox WHERE \(condition)
            """, arguments: [time, reason] + arguments)
        try db.execute(sql: "DELETE FROM alert_outbox WHERE \(condition)", arguments: arguments)
    }

    /// Moves what is queued for channels the config no longer has (removed or renamed, between runs or by a
    /// reload) to the dead letters: nothing would ever deliver it, and it would wait unseen. Returns how many rows
    /// of each such channel moved; nil when the write failed (it is tried again when the channels are next started:
    /// at Warden's start, or by a reload that changes `alerts`).
    public func deadLetterUnconfigured(keeping configured: [String], at time: Double) async -> [String: Int]? {
        await writeReturning("dead-letter alerts of removed channels") { db -> [String: Int] in
            var moved: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT channel, COUNT(*) AS queued FROM alert_outbox GROUP BY channel")
            where !configured.contains(row["channel"]) {
                let channel: String = row["channel"]
                try Self.moveToDeadLetters(db, where: "channel = ?", [channel], reason: "channel \(channel) is no longer configured",
                                           at: time, attempted: false)
                moved[channel] = row["queued"]
            }
            return moved
        }
    }

    /// Per channel: queued deliveries, the oldest one's creation time, the last error, dead letters.
    public func outboxSummary() async throws -> [String: OutboxSummary] {
        try await pool.read { db in
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
