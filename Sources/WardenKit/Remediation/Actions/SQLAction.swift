import Foundation
import GRDB

/// A write to the engine's database, such as "release take-profit locks held past their expiry".
/// Only possible on a SQLite probe whose config says `allow_writes: true`; the statement runs in one
/// transaction within a timeout, and the audit records how many rows it changed.
public struct SQLAction: RemediationAction {
    public var probe: String
    public var path: String
    public var statement: String
    public var timeout: Duration
    public var busyTimeout: Duration
    public var timestamps: TimestampParser

    public init(probe: String, path: String, statement: String, timeout: Duration, busyTimeout: Duration,
                timestamps: TimestampParser) {
        self.probe = probe
        self.path = path
        self.statement = statement
        self.timeout = timeout
        self.busyTimeout = busyTimeout
        self.timestamps = timestamps
    }

    public var kind: String { "sql" }
    public var summary: String { "write to the database of probe \(probe)" }

    public func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome {
        guard FileManager.default.fileExists(atPath: path) else {
            return ActionOutcome(.failure, "database \(path) does not exist")
        }
        do {
            let configuration = SQLiteProbe.configuration(label: "warden-remediation-\(probe)", readonly: false,
                                                          busyTimeout: busyTimeout, timestamps: timestamps)
            let database = try DatabaseQueue(path: path, configuration: configuration)
            let watchdog = SQLiteProbe.interrupt(database, after: timeout)
            defer { watchdog.cancel() }
            let statement = self.statement
            let changes = try await database.write { db -> Int in
                try db.execute(sql: statement, arguments: ["now": Date().timeIntervalSince1970])
                return db.changesCount
            }
            return ActionOutcome(.success, "\(Units.counted(changes, "row")) changed")
        } catch {
            return ActionOutcome(.failure, "\(path): \(SQLiteProbe.describe(error))")
        }
    }
}
