import CWardenSys
import Foundation
import GRDB

/// A named query a check wants run against the engine's database. `:now` (unix seconds) and the check's own
/// parameters are bound by name when the query uses them.
public struct SQLQuery: Sendable, Equatable {
    public var name: String
    public var sql: String
    public var parameters: [String: Double]

    public init(name: String, sql: String, parameters: [String: Double] = [:]) {
        self.name = name
        self.sql = sql
        self.parameters = parameters
    }
}

/// Runs the checks' queries against the engine's database, strictly read-only.
///
/// - Opened with `SQLITE_OPEN_READONLY` and `PRAGMA query_only`: no query, however written, can change it.
/// - A fresh connection per run: a deleted or replaced file is seen as such, not read through an old handle.
/// - A busy timeout for the engine's write locks, and `sqlite3_interrupt` when a query outlives `timeout`.
/// - `warden_unixtime(x)` turns any timestamp the engine stores (ISO-8601 or SQL text, unix seconds or
///   milliseconds) into unix seconds inside SQL, so checks aggregate in SQLite instead of moving rows.
public struct SQLiteProbe: Probe {
    public let name: String
    public let path: String
    public let interval: Duration
    public let timeout: Duration
    public let busyTimeout: Duration
    public let timestamps: TimestampParser
    public let queries: [SQLQuery]

    public init(name: String, path: String, interval: Duration, timeout: Duration, busyTimeout: Duration,
                timestamps: TimestampParser, queries: [SQLQuery]) {
        self.name = name
        self.path = path
        self.interval = interval
        self.timeout = timeout
        self.busyTimeout = busyTimeout
        self.timestamps = timestamps
        self.queries = queries
    }

    public func run() async -> Result<ProbeOutput, ProbeFailure> {
        guard FileManager.default.fileExists(atPath: path) else {
            return .failure(ProbeFailure("database \(path) does not exist"))
        }
        let database: DatabaseQueue
        do {
            database = try DatabaseQueue(path: path, configuration: configuration())
        } catch {
            return .failure(ProbeFailure("cannot open database \(path): \(Self.describe(error))"))
        }
        let watchdog = Self.interrupt(database, after: timeout)
        defer { watchdog.cancel() }
        let queries = self.queries
        do {
            let results = try await database.read { db -> [String: SQLRows] in
                var results: [String: SQLRows] = [:]
                for query in queries {
                    results[query.name] = try Self.fetch(query, in: db)
                }
                return results
            }
            return .success(.sql(results))
        } catch let error as QueryError {
            return .failure(ProbeFailure(failureText(query: error.query, error: error.underlying)))
        } catch {
            return .failure(ProbeFailure(failureText(query: nil, error: error)))
        }
    }

    private func failureText(query: String?, error: any Error) -> String {
        let place = query.map { "query \($0) on \(path)" } ?? "database \(path)"
        if let error = error as? DatabaseError, error.resultCode == .SQLITE_INTERRUPT {
            return "\(place): interrupted after \(Units.formatDuration(timeout))"
        }
        return "\(place): \(Self.describe(error))"
    }

    private func configuration() -> Configuration {
        Self.configuration(label: "warden-probe-\(name)", readonly: true, busyTimeout: busyTimeout, timestamps: timestamps)
    }

    /// sqlite3_interrupt only stops a statement that is running: one landing between two queries would be
    /// lost, so the watchdog keeps interrupting until it is cancelled.
    static func interrupt(_ database: DatabaseQueue, after timeout: Duration) -> Task<Void, Never> {
        Task {
            guard (try? await Task.sleep(for: timeout)) != nil else { return }
            while !Task.isCancelled {
                database.interrupt()
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }

    /// How Warden opens an engine's database: read-only with `query_only` for probes; read-write only for a
    /// `sql` remediation on a probe whose config says `allow_writes: true`.
    static func configuration(label: String, readonly: Bool, busyTimeout: Duration,
                              timestamps: TimestampParser) -> Configuration {
        var configuration = Configuration()
        configuration.readonly = readonly
        configuration.busyMode = .timeout(busyTimeout.seconds)
        configuration.label = label
        let offset = Int32(timestamps.defaultOffset)
        configuration.prepareDatabase { db in
            if readonly { try db.execute(sql: "PRAGMA query_only = ON") }
            guard let connection = db.sqliteConnection, warden_register_unixtime(UnsafeMutableRawPointer(connection), offset) == 0 else {
                throw ProbeFailure("cannot register warden_unixtime on the connection")
            }
        }
        return configuration
    }

    private struct QueryError: Error {
        let query: String
        let underlying: any Error
    }

    private static func fetch(_ query: SQLQuery, in db: Database) throws -> SQLRows {
        do {
            let statement = try db.makeStatement(sql: query.sql)
            // Named values a query does not use are ignored; one it uses but lacks is a clear error.
            let values = query.parameters.merging(["now": Date().timeIntervalSince1970]) { current, _ in current }
            // setArguments throws where the `arguments` setter would trap on a parameter nobody provides.
            try statement.setArguments(StatementArguments(values))
            return try Row.fetchAll(statement).map { row in row.databaseValues.map(SQLValue.init) }
        } catch {
            throw QueryError(query: query.name, underlying: error)
        }
    }

    public static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError { return error.message ?? "\(error.resultCode)" }
        return "\(error)"
    }
}

extension SQLValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let number): self = .integer(number)
        case .double(let number): self = .real(number)
        case .string(let text): self = .text(text)
        case .blob: self = .null
        }
    }
}
