import Foundation
import GRDB

enum PositionSide: String, Sendable, Codable, CaseIterable {
    case long = "LONG"
    case short = "SHORT"

    /// +1 when the position gains as the price rises.
    var direction: Double { self == .long ? 1 : -1 }
}

/// An open position as the engine remembers it. The database row is the source of truth
/// after a restart or a re-arm; this copy is what `/status` reports.
struct Position: Sendable {
    var id: Int64
    var symbol: String
    var side: PositionSide
    var quantity: Double
    var entryPrice: Double
    var openTime: Date
    /// Whole seconds, exactly as stored, so the engine and SQL agree on when it is due.
    var plannedClose: Date?

    func pnl(at price: Double) -> Double {
        (price - entryPrice) * quantity * side.direction
    }

    func isDue(at now: Date) -> Bool {
        guard let plannedClose else { return false }
        return now >= plannedClose
    }
}

/// SQL for positions and their protective stops.
enum PositionStore {
    static let stopLossFraction = 0.02
    static let takeProfitFraction = 0.04

    /// Inserts an open position and, unless `withStops` is false, its `active` stop row.
    static func insert(
        _ draft: Position, withStops: Bool, in db: Database
    ) throws -> Position {
        let now = Timestamp.sqlite(draft.openTime)
        try db.execute(
            sql: """
                INSERT INTO futures_positions
                    (symbol, position_side, status, entry_price, quantity, open_time, planned_close_time)
                VALUES (?, ?, 'open', ?, ?, ?, ?)
                """,
            arguments: [
                draft.symbol, draft.side.rawValue, draft.entryPrice, draft.quantity, now,
                draft.plannedClose.map(Timestamp.sqlite),
            ])
        var position = draft
        position.id = db.lastInsertedRowID
        if withStops {
            let d = draft.side.direction
            try db.execute(
                sql: """
                    INSERT INTO position_stops
                        (position_id, symbol, entry_price, stop_loss, take_profit, status, created_at)
                    VALUES (?, ?, ?, ?, ?, 'active', ?)
                    """,
                arguments: [
                    position.id, draft.symbol, draft.entryPrice,
                    draft.entryPrice * (1 - d * stopLossFraction),
                    draft.entryPrice * (1 + d * takeProfitFraction), now,
                ])
        }
        return position
    }

    /// Closes the position and marks its stops triggered. Returns false if it was not open
    /// any more (for instance closed by an operator directly in the database).
    static func close(
        id: Int64, price: Double, pnl: Double, at date: Date, in db: Database
    ) throws -> Bool {
        try db.execute(
            sql: """
                UPDATE futures_positions
                SET status = 'closed', close_time = ?, close_price = ?, realized_pnl = ?
                WHERE id = ? AND status = 'open'
                """,
            arguments: [Timestamp.sqlite(date), price, pnl, id])
        guard db.changesCount > 0 else { return false }
        try db.execute(
            sql: "UPDATE position_stops SET status = 'triggered' WHERE position_id = ? AND status = 'active'",
            arguments: [id])
        return true
    }

    static func loadOpen(in db: Database) throws -> [Position] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT id, symbol, position_side, quantity, entry_price, open_time, planned_close_time
                FROM futures_positions WHERE status = 'open' ORDER BY id
                """
        ).map { row in
            Position(
                id: row["id"],
                symbol: row["symbol"],
                side: PositionSide(rawValue: row["position_side"]) ?? .long,
                quantity: row["quantity"],
                entryPrice: row["entry_price"],
                openTime: Timestamp.parseSQLite(row["open_time"] ?? "") ?? Date(),
                plannedClose: (row["planned_close_time"] as String?).flatMap(Timestamp.parseSQLite))
        }
    }

    static func maxId(in db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT max(id) FROM futures_positions") ?? 0
    }

    /// `remove_stops`: cancels every active stop of an open position. Returns rows changed.
    static func cancelActiveStops(in db: Database) throws -> Int {
        try db.execute(
            sql: """
                UPDATE position_stops SET status = 'cancelled'
                WHERE status = 'active'
                  AND position_id IN (SELECT id FROM futures_positions WHERE status = 'open')
                """)
        return db.changesCount
    }

    static func logRestart(reason: String, success: Int, failed: Int, in db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO smart_exit_restart_log (restart_time, reason, success_count, fail_count)
                VALUES (datetime('now'), ?, ?, ?)
                """,
            arguments: [reason, success, failed])
    }
}
