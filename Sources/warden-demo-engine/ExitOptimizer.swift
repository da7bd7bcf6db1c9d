import Foundation
import GRDB

/// The exit optimizer of the incident: one monitoring task per open position, which closes
/// the position at its planned close time. Losing these tasks leaves positions open forever
/// while everything else looks healthy, the failure `drop_monitoring` reproduces.
extension Engine {
    func startMonitor(for id: Int64) {
        // drop_monitoring: new positions get no monitoring task.
        guard monitors[id] == nil, !faults.isActive(.dropMonitoring) else { return }
        monitors[id] = Task { await self.watch(id) }
    }

    /// Wakes every tick and closes the position once it is due.
    private func watch(_ id: Int64) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.tickDuration)
            await faults.waitWhileHung()
            if Task.isCancelled { return }
            guard let position = positions[id] else {
                monitors[id] = nil
                return
            }
            // overdue_positions: the task is alive but no longer acts on due positions.
            if faults.isActive(.overduePositions) { continue }
            if position.isDue(at: Date()) {
                await closePosition(id)
                return
            }
        }
    }

    /// Called by the position's own monitoring task.
    func closePosition(_ id: Int64) async {
        guard let position = positions.removeValue(forKey: id) else { return }
        monitors[id] = nil
        let price = market.quote(position.symbol)?.last ?? position.entryPrice
        let pnl = position.pnl(at: price)
        let now = Date()
        do {
            let closed = try await db.write { db in
                try PositionStore.close(id: id, price: price, pnl: pnl, at: now, in: db)
            }
            if closed {
                Console.info(
                    "closed position #\(id) \(position.side.rawValue) \(position.symbol) @ \(format(price))"
                        + " pnl=\(String(format: "%+.2f", pnl)) USDT")
            }
        } catch {
            Console.error("failed to close position #\(id): \(error); will retry")
            positions[id] = position
            startMonitor(for: id)
        }
    }

    /// `drop_monitoring`: the tasks vanish without a word.
    func dropAllMonitors() {
        monitors.values.forEach { $0.cancel() }
        monitors.removeAll()
    }

    /// Restarts the exit optimizer: cancels every monitoring task and starts one per open
    /// position, the database being the source of truth. Clears `drop_monitoring` and
    /// `overdue_positions`, the two failures a re-arm repairs, and logs the restart.
    func rearmMonitoring(reason: String) async throws -> (rearmed: Int, failed: Int) {
        faults.remove(.dropMonitoring)
        faults.remove(.overduePositions)
        dropAllMonitors()
        let (open, maxId) = try await db.read { db in
            (try PositionStore.loadOpen(in: db), try PositionStore.maxId(in: db))
        }
        // Positions opened while the read was in flight are newer than anything it saw.
        var current = Dictionary(uniqueKeysWithValues: open.map { ($0.id, $0) })
        for (id, position) in positions where id > maxId { current[id] = position }
        positions = current
        for id in positions.keys { startMonitor(for: id) }
        let rearmed = positions.count
        try await db.write { db in
            try PositionStore.logRestart(reason: reason, success: rearmed, failed: 0, in: db)
        }
        Console.info("exit optimizer re-armed: \(rearmed) monitoring tasks started (\(reason))")
        return (rearmed, 0)
    }
}
