import Foundation
import GRDB

/// One partial take-profit stage of one (symbol, side): the unit that the lock protects.
struct StageTarget: Hashable, Sendable, CustomStringConvertible {
    var symbol: String
    var side: PositionSide
    var stage: Int

    /// The lock row's key, as in the incident: `partial_tp_ETHUSDT_LONG_stage1`.
    var lockKey: String { "partial_tp_\(symbol)_\(side.rawValue)_stage\(stage)" }
    var description: String { "\(symbol) \(side.rawValue) stage\(stage)" }
}

/// The two loops of the incident that both execute partial take-profits.
enum Caller: String, Sendable, CaseIterable {
    case healthCheck = "health-check"
    case aiAgent = "ai-agent"

    var other: Caller { self == .healthCheck ? .aiAgent : .healthCheck }
}

enum StageOutcome: Sendable, Equatable {
    case success
    case lockBusy(holder: String)
    case recentlyExecuted

    var result: String {
        switch self {
        case .success: "success"
        case .lockBusy: "lock_busy"
        case .recentlyExecuted: "recently_executed"
        }
    }
}

/// The partial take-profit executor: a lock row in `system_config` plus a 30 s de-duplication
/// window over `partial_take_profit_history`, as the incident's engine did it.
struct PartialTakeProfitDesk: Sendable {
    static let stages = 1...3
    static let dedupSeconds = 30

    let db: DatabasePool
    /// Lock expiry: 30 s, long enough for one take-profit; shorter in tests that wait for a stale lock.
    var lockSeconds = 30

    /// One caller's attempt: acquire the lock (insert if absent or expired), record the result,
    /// then release the lock, unless `leakLock` is set (the `stale_locks` holder that never does).
    /// `hold` is the time spent "placing the order" while holding the lock.
    func execute(
        _ target: StageTarget, as caller: Caller, hold: Duration = .zero, leakLock: Bool = false
    ) async throws -> StageOutcome {
        let holder: String? = try await db.write { db in
            try db.execute(
                sql: "DELETE FROM system_config WHERE config_key = ? AND expires_at < datetime('now')",
                arguments: [target.lockKey])
            try db.execute(
                sql: """
                    INSERT OR IGNORE INTO system_config (config_key, config_value, expires_at, updated_at)
                    VALUES (?, ?, datetime('now', '+\(lockSeconds) seconds'), datetime('now'))
                    """,
                arguments: [target.lockKey, caller.rawValue])
            if db.changesCount > 0 { return nil }
            let current = try String.fetchOne(
                db, sql: "SELECT config_value FROM system_config WHERE config_key = ?",
                arguments: [target.lockKey]) ?? "unknown"
            try Self.record(.lockBusy(holder: current), target, caller, in: db)
            return current
        }
        if let holder { return .lockBusy(holder: holder) }

        if hold > .zero { try? await Task.sleep(for: hold) }

        return try await db.write { db in
            let recent = try Int.fetchOne(
                db,
                sql: """
                    SELECT count(*) FROM partial_take_profit_history
                    WHERE symbol = ? AND side = ? AND stage = ? AND result = 'success'
                      AND timestamp > datetime('now', '-\(Self.dedupSeconds) seconds')
                    """,
                arguments: [target.symbol, target.side.rawValue, target.stage]) ?? 0
            let outcome: StageOutcome = recent == 0 ? .success : .recentlyExecuted
            try Self.record(outcome, target, caller, in: db)
            if !leakLock {
                try db.execute(
                    sql: "DELETE FROM system_config WHERE config_key = ? AND config_value = ?",
                    arguments: [target.lockKey, caller.rawValue])
            }
            return outcome
        }
    }

    /// Targets a healthy executor may try now: no success in the dedup window and no lock row
    /// present, so that taking turns never produces `lock_busy` or `recently_executed`.
    func idleTargets(among candidates: [StageTarget]) async throws -> [StageTarget] {
        let (recent, locked) = try await db.read { db in
            let recent = try Row.fetchAll(
                db,
                sql: """
                    SELECT symbol, side, stage FROM partial_take_profit_history
                    WHERE result = 'success' AND timestamp > datetime('now', '-\(Self.dedupSeconds) seconds')
                    """
            ).map { row -> String in
                StageTarget(
                    symbol: row["symbol"], side: PositionSide(rawValue: row["side"]) ?? .long,
                    stage: row["stage"]
                ).lockKey
            }
            let locked = try String.fetchAll(
                db, sql: "SELECT config_key FROM system_config WHERE config_key LIKE 'partial_tp_%'")
            return (Set(recent), Set(locked))
        }
        return candidates.filter { !recent.contains($0.lockKey) && !locked.contains($0.lockKey) }
    }

    /// How many of the given lock keys still have a row (a leaked lock stays until someone deletes it).
    func presentLocks(_ keys: Set<String>) async throws -> Set<String> {
        guard !keys.isEmpty else { return [] }
        return try await db.read { db in
            Set(try String.fetchAll(
                db, sql: "SELECT config_key FROM system_config WHERE config_key LIKE 'partial_tp_%'"))
        }.intersection(keys)
    }

    private static func record(
        _ outcome: StageOutcome, _ target: StageTarget, _ caller: Caller, in db: Database
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO partial_take_profit_history (symbol, side, stage, caller, result, timestamp)
                VALUES (?, ?, ?, ?, ?, datetime('now'))
                """,
            arguments: [target.symbol, target.side.rawValue, target.stage, caller.rawValue, outcome.result])
    }
}
