import Foundation
import GRDB
import Testing
@testable import WardenKit

/// Probes against inputs that misbehave: each fails with a reason that names the place, within its timeout,
/// and never takes Warden down.
struct SQLiteProbeBadInputTests {
    /// A database with the demo engine's positions table, and a probe running the positions check's queries on it.
    func fixture(_ directory: TempDirectory, timeout: Duration = .seconds(2)) throws -> (DatabaseQueue, SQLiteProbe) {
        let path = directory.file("engine.sqlite")
        let writer = try DatabaseQueue(path: path)
        try writer.write { db in
            try db.execute(sql: """
                CREATE TABLE futures_positions (id INTEGER PRIMARY KEY, symbol TEXT, status TEXT, planned_close_time TEXT);
                CREATE TABLE position_stops (symbol TEXT, stop_loss REAL, take_profit REAL, status TEXT);
                INSERT INTO futures_positions (symbol, status, planned_close_time) VALUES
                  ('ETHUSDT', 'open', datetime('now', '-300 seconds')),
                  ('BTCUSDT', 'open', strftime('%s', 'now', '+300 seconds') * 1000),
                  ('SOLUSDT', 'closed', '2020-01-01T00:00:00Z');
                INSERT INTO position_stops VALUES ('BTCUSDT', 1, 2, 'active');
                """)
        }
        let check = PositionsCheck(database: "db", monitored: nil, overdueGrace: .seconds(60))
        let probe = SQLiteProbe(name: "db", path: path, interval: .seconds(1), timeout: timeout, busyTimeout: .milliseconds(200),
                                timestamps: TimestampParser(), queries: check.queries.map(\.query))
        return (writer, probe)
    }

    func failure(_ result: Result<ProbeOutput, ProbeFailure>) -> String? {
        if case .failure(let failure) = result { return failure.description }
        return nil
    }

    @Test func aHealthyDatabaseIsAggregatedInSQLWhateverItsTimestampForms() async throws {
        let directory = TempDirectory()
        let (_, probe) = try fixture(directory)
        guard case .success(.sql(let results)) = await probe.run() else {
            Issue.record("the probe failed")
            return
        }
        #expect(results["positions.open"] == [[.integer(2)]])
        let overdue = try #require(results["positions.overdue"]?.first)
        #expect(overdue[0] == .integer(1), "ETH is 300 s past due (SQL text); BTC is due in 300 s (milliseconds)")
        #expect((overdue[1].number ?? 0) > 290 && (overdue[1].number ?? 0) < 320)
        #expect(results["positions.unprotected"] == [[.integer(1)]], "ETH has no active stop")
    }

    @Test func anExclusivelyLockedDatabaseFailsWithinTheBusyTimeout() async throws {
        let directory = TempDirectory()
        // The probe's own timeout is far longer than its busy timeout, so a failure well inside it is the busy timeout's.
        let (writer, probe) = try fixture(directory, timeout: .seconds(20))
        let started = ContinuousClock.now
        let text = try await writer.writeWithoutTransaction { db -> String? in
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE")
            defer { try? db.execute(sql: "ROLLBACK") }
            let semaphore = DispatchSemaphore(value: 0)
            nonisolated(unsafe) var result: Result<ProbeOutput, ProbeFailure>?
            Task.detached { result = await probe.run(); semaphore.signal() }
            semaphore.wait()
            return result.flatMap(failure)
        }
        #expect(text?.contains("database is locked") == true, "\(text ?? "succeeded")")
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func aDeletedDatabaseIsNamed() async throws {
        let directory = TempDirectory()
        let (_, probe) = try fixture(directory)
        try FileManager.default.removeItem(atPath: directory.file("engine.sqlite"))
        #expect(failure(await probe.run()) == "database \(directory.file("engine.sqlite")) does not exist")
    }

    @Test func aMissingColumnIsNamedWithItsQuery() async throws {
        let directory = TempDirectory()
        let (writer, probe) = try fixture(directory)
        try await writer.write { try $0.execute(sql: "ALTER TABLE futures_positions DROP COLUMN planned_close_time") }
        let text = try #require(failure(await probe.run()))
        #expect(text.contains("query positions.overdue"))
        #expect(text.contains("no such column: planned_close_time"))
    }

    @Test func garbageInsteadOfADatabaseIsAFailureNotACrash() async throws {
        let directory = TempDirectory()
        let (_, probe) = try fixture(directory)
        try Data(repeating: 0x42, count: 8192).write(to: URL(fileURLWithPath: directory.file("engine.sqlite")))
        let text = try #require(failure(await probe.run()))
        #expect(text.contains("file is not a database"), "\(text)")
    }

    @Test func aQueryThatTriesToWriteIsRefused() async throws {
        let directory = TempDirectory()
        let (writer, _) = try fixture(directory)
        let probe = SQLiteProbe(name: "db", path: directory.file("engine.sqlite"), interval: .seconds(1), timeout: .seconds(2),
                                busyTimeout: .milliseconds(200), timestamps: TimestampParser(),
                                queries: [SQLQuery(name: "evil", sql: "DELETE FROM futures_positions")])
        let text = try #require(failure(await probe.run()))
        #expect(text.contains("readonly") || text.contains("read-only") || text.contains("query_only"), "\(text)")
        #expect(try await writer.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM futures_positions") } == 3)
    }

    @Test func aRunawayQueryIsInterruptedAtTheTimeout() async throws {
        let directory = TempDirectory()
        _ = try fixture(directory)
        let probe = SQLiteProbe(name: "db", path: directory.file("engine.sqlite"), interval: .seconds(1), timeout: .milliseconds(300),
                                busyTimeout: .milliseconds(200), timestamps: TimestampParser(),
                                queries: [SQLQuery(name: "forever", sql: """
                                    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) FROM n
                                    """)])
        let started = ContinuousClock.now
        let text = try #require(failure(await probe.run()))
        #expect(text.contains("query forever") && text.contains("interrupted after 300ms"), "\(text)")
        #expect(ContinuousClock.now - started < .seconds(10), "interrupted, not left to run forever")
    }
}

struct ProbeFailureVisibilityTests {
    /// A failing probe's reason reaches the person: in Warden's log once, and in the status API.
    @Test func theReasonIsLoggedOnceAndShownInTheStatus() async throws {
        let directory = TempDirectory()
        let database = try DatabaseQueue(path: directory.file("engine.sqlite"))
        try await database.write { try $0.execute(sql: "CREATE TABLE futures_positions (id INTEGER PRIMARY KEY, status TEXT)") }
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sleep, "1000"]
                working_dir: \(directory.path)
                probes:
                  - {name: db, sqlite: {path: engine.sqlite}, interval: 200ms}
                checks:
                  positions: {database: db}
            """)
        try await warden.waitReady()
        try await eventually("the probe has failed a few times") {
            (try await warden.status().engines[0].probes["db"]?.success) == false && warden.log.contains("probe failing")
        }
        try await Task.sleep(for: .milliseconds(600))
        let probe = try #require(try await warden.status().engines[0].probes["db"])
        #expect(probe.failure?.contains("no such column: planned_close_time") == true, "\(probe.failure ?? "")")
        #expect(warden.log.components(separatedBy: "probe failing").count == 2, "logged once, not on every run")
        #expect(warden.log.contains("no such column: planned_close_time"))
    }
}

struct HTTPProbeBadInputTests {
    /// One second is the deadline the cut-off tests watch; answers that must arrive get thirty, so that a loaded
    /// CI machine cannot turn them into timeouts. The cut-off tests' wall-clock bounds only disprove a wait
    /// without end.
    func probe(_ server: MisbehavingServer, maxBody: Int = 1 << 20, timeout: Duration = .seconds(30)) -> HTTPProbe {
        HTTPProbe(name: "status", url: URL(string: "http://127.0.0.1:\(server.port)/status")!, interval: .seconds(1),
                  timeout: timeout, maxBodyBytes: maxBody, expectJSON: true)
    }

    func failure(_ result: Result<ProbeOutput, ProbeFailure>) -> String? {
        if case .failure(let failure) = result { return failure.description }
        return nil
    }

    @Test func anEndpointThatNeverAnswersIsCutOffAtTheTimeout() async throws {
        let server = try MisbehavingServer(.neverAnswer)
        defer { server.stop() }
        let started = ContinuousClock.now
        let text = try #require(failure(await probe(server, timeout: .seconds(1)).run()))
        #expect(text.contains("no complete answer within 1s"), "\(text)")
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func anEndpointThatTricklesIsCutOffAtTheTimeout() async throws {
        let server = try MisbehavingServer(.trickle)
        defer { server.stop() }
        let started = ContinuousClock.now
        #expect(failure(await probe(server, timeout: .seconds(1)).run())?.contains("no complete answer within 1s") == true)
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test func a100MegabyteBodyIsAbandonedAtTheCap() async throws {
        let server = try MisbehavingServer(.huge(100 << 20))
        defer { server.stop() }
        let started = ContinuousClock.now
        let text = try #require(failure(await probe(server, maxBody: 1 << 20).run()))
        #expect(text.contains("body larger than 1048576 bytes"), "\(text)")
        #expect(ContinuousClock.now - started < .seconds(20), "refused as the body arrives, not at the 30 s timeout")
    }

    @Test func malformedJSONIsAFailureThatSaysSo() async throws {
        let server = try MisbehavingServer(.body(status: 200, "{\"monitored_positions\": 3,"))
        defer { server.stop() }
        #expect(failure(await probe(server).run())?.hasSuffix("the body is not valid JSON") == true)
    }

    @Test func anErrorStatusFails() async throws {
        let server = try MisbehavingServer(.body(status: 503, "{}"))
        defer { server.stop() }
        #expect(failure(await probe(server).run())?.hasSuffix("answered HTTP 503") == true)
    }

    @Test func aCredentialInTheURLNeverReachesTheReason() async throws {
        let server = try MisbehavingServer(.body(status: 500, "{}"))
        defer { server.stop() }
        let probe = HTTPProbe(name: "status", url: URL(string: "http://user:pa55@127.0.0.1:\(server.port)/status?apikey=s3cret")!,
                              interval: .seconds(1), timeout: .seconds(30), maxBodyBytes: 1024, expectJSON: true)
        let text = try #require(failure(await probe.run()))
        #expect(!text.contains("s3cret") && !text.contains("pa55"), "\(text)")
        #expect(text.contains("127.0.0.1:\(server.port)/status (query and credentials hidden)"))
    }

    @Test func aRedirectIsFollowed() async throws {
        let server = try MisbehavingServer(.moved(#"{"monitored_positions": 2}"#))
        defer { server.stop() }
        #expect(try await probe(server).run().get() == .json(.object(["monitored_positions": .number(2)])))
    }

    @Test func aRefusedConnectionNamesTheRequest() async throws {
        let server = try MisbehavingServer(.neverAnswer)
        server.stop()
        let text = try #require(failure(await probe(server).run()))
        #expect(text.hasPrefix("GET http://127.0.0.1:\(server.port)/status: cannot connect"), "\(text)")
    }

    @Test func aGoodAnswerIsParsed() async throws {
        let server = try MisbehavingServer(.body(status: 200, #"{"monitored_positions": 3}"#))
        defer { server.stop() }
        #expect(try await probe(server).run().get() == .json(.object(["monitored_positions": .number(3)])))
    }
}

/// A loopback HTTP server that misbehaves on purpose, one way per instance.
final class MisbehavingServer: @unchecked Sendable {
    enum Mode: Sendable {
        case neverAnswer
        case trickle
        case huge(Int)
        case body(status: Int, String)
        /// 302 to `/moved` for any other path; the body at `/moved`.
        case moved(String)
        /// 302 (or another status) to an absolute URL, for every request.
        case redirect(status: Int, to: String)
    }

    /// The head of every request received (request line and headers), in order.
    var requests: [String] { lock.withLock { received } }
    private var received: [String] = []

    let port: Int
    private let fd: Int32
    private let mode: Mode
    private let lock = NSLock()
    private var stopped = false
    private var clients: [Int32] = []
    private let acceptLoopEnded = DispatchSemaphore(value: 0)

    init(_ mode: Mode) throws {
        self.mode = mode
        (fd, port) = boundLoopbackSocket(listening: true)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Each descriptor is closed by the thread that uses it, under the lock, and `stop()` only shuts down
    /// those still open: a descriptor number closed early can be reused at once by another test's socket in
    /// this process (an HTTP client's, say), and a late thread would then read or write someone else's bytes.
    private func acceptLoop() {
        while true {
            let client = accept(fd, nil, nil)
            let accepted = lock.withLock { () -> Bool in
                guard client >= 0, !stopped else { return false }
                clients.append(client)
                return true
            }
            guard accepted else {
                lock.withLock {
                    if client >= 0 { close(client) }
                    close(fd)
                }
                acceptLoopEnded.signal()
                return
            }
            Thread { [self] in
                serve(client)
                lock.withLock {
                    clients.removeAll { $0 == client }
                    close(client)
                }
            }.start()
        }
    }

    private func write(_ client: Int32, _ bytes: [UInt8]) -> Bool {
        let written = bytes.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return written == bytes.count
    }

    private func serve(_ client: Int32) {
        var request = [UInt8](repeating: 0, count: 4096)
        let got = recv(client, &request, request.count, 0)
        let head = String(decoding: request.prefix(max(0, got)), as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        lock.withLock { received.append(head) }
        switch mode {
        case .neverAnswer:
            while !lock.withLock({ stopped }) { Thread.sleep(forTimeInterval: 0.05) }
        case .trickle:
            _ = write(client, Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n".utf8))
            for _ in 0..<100 {
                if lock.withLock({ stopped }) || !write(client, [0x20]) { return }
                Thread.sleep(forTimeInterval: 1)
            }
        case .huge(let size):
            _ = write(client, Array("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: \(size)\r\n\r\n".utf8))
            let chunk = [UInt8](repeating: 0x20, count: 64 * 1024)
            var remaining = size
            while remaining > 0, !lock.withLock({ stopped }), write(client, Array(chunk.prefix(remaining))) {
                remaining -= chunk.count
            }
        case .body(let status, let text):
            answer(client, status: status, text)
        case .moved(let text):
            if String(decoding: request, as: UTF8.self).hasPrefix("GET /moved ") {
                answer(client, status: 200, text)
            } else {
                answer(client, status: 302, "", headers: "Location: /moved\r\n")
            }
        case .redirect(let status, let target):
            answer(client, status: status, "", headers: "Location: \(target)\r\n")
        }
    }

    private func answer(_ client: Int32, status: Int, _ text: String, headers: String = "") {
        let body = Array(text.utf8)
        _ = write(client, Array("HTTP/1.1 \(status) X\r\n\(headers)Content-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n".utf8) + body)
    }

    func stop() {
        lock.withLock {
            guard !stopped else { return }
            stopped = true
            clients.forEach { shutdown($0, Int32(SHUT_RDWR)) }
            shutdown(fd, Int32(SHUT_RDWR))  // wakes the accept loop, which closes it
        }
        _ = acceptLoopEnded.wait(timeout: .now() + 2)  // closed: the port refuses from now on
    }
}

extension SQLiteProbeBadInputTests {
    @Test func aQueryWithAParameterNobodyProvidesFailsInsteadOfCrashing() async throws {
        let directory = TempDirectory()
        _ = try fixture(directory)
        let probe = SQLiteProbe(name: "db", path: directory.file("engine.sqlite"), interval: .seconds(1), timeout: .seconds(2),
                                busyTimeout: .milliseconds(200), timestamps: TimestampParser(),
                                queries: [SQLQuery(name: "mine", sql: "SELECT COUNT(*) FROM futures_positions WHERE id > :since OR id > ?")])
        let text = try #require(failure(await probe.run()))
        #expect(text.contains("query mine") && text.contains("missing statement argument: since"), "\(text)")
    }
}
