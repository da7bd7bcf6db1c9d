import Foundation
import GRDB

/// Maintenance survives a restart of Warden: kept here until it ends.
extension WardenStore {
    func saveMaintenance(engine: String, _ maintenance: Maintenance) async {
        let state = String(decoding: (try? JSONEncoder().encode(maintenance)) ?? Data("{}".utf8), as: UTF8.self)
        await write("begin maintenance of \(engine)") { db in
            try db.execute(sql: "INSERT OR REPLACE INTO maintenance (engine, state) VALUES (?, ?)", arguments: [engine, state])
        }
    }

    func endMaintenance(engine: String) async {
        await write("end maintenance of \(engine)") { db in
            try db.execute(sql: "DELETE FROM maintenance WHERE engine = ?", arguments: [engine])
        }
    }

    /// Every engine in maintenance; a row that cannot be read is left out and named in the log.
    func maintenances() async -> [String: Maintenance] {
        do {
            // Plain strings, not rows (which are not Sendable), so that the read runs off the caller's thread.
            let rows = try await pool.read { db in
                try Row.fetchAll(db, sql: "SELECT engine, state FROM maintenance").map { row -> (engine: String, state: String) in
                    (row["engine"], row["state"])
                }
            }
            var result: [String: Maintenance] = [:]
            for (engine, state) in rows {
                if let maintenance = try? JSONDecoder().decode(Maintenance.self, from: Data(state.utf8)) {
                    result[engine] = maintenance
                } else {
                    logger.error("cannot read the maintenance of an engine; it is not restored", metadata: ["engine": "\(engine)"])
                }
            }
            return result
        } catch {
            logger.error("cannot read maintenance; none is restored", metadata: ["path": "\(path)", "error": "\(Self.describe(error))"])
            return [:]
        }
    }
}
