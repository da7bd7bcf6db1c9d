import Foundation
import GRDB
import Logging
import Testing
@testable import WardenKit

/// The remediation actions against real processes and a real SQLite file.
struct ActionTests {
    static let incident: Incident = {
        var incident = Incident(id: "bot/rearm/1-1", engine: "bot", source: .policy("rearm"), component: .positions,
                                level: .unhealthy, check: .monitorMismatch, value: 6, threshold: 1,
                                reason: "monitor mismatch 6 (UNHEALTHY at ≥ 1)")
        incident.rung = 1
        return incident
    }()

    static func context(supervisor: EngineSupervisor? = nil, board: StatusBoard = StatusBoard(engines: [])) -> ActionContext {
        ActionContext(supervisor: supervisor, board: board, environment: ["PATH": "/usr/bin:/bin"], logger: Logger(label: "test"))
    }

    /// Take-profit lock rows (`system_config`, as the demo engine keeps them) in an engine database at `path`.
    static func lockTable(at path: String, rows: [(key: String, expires: String)]) async throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in
            try db.execute(sql: "CREATE TABLE system_config (config_key TEXT PRIMARY KEY, expires_at TEXT)")
            for row in rows {
                try db.execute(sql: "INSERT INTO system_config VALUES (?, ?)", arguments: [row.key, row.expires])
            }
        }
        return queue
    }

    static func exec(_ script: String, timeout: Duration = .seconds(5), in directory: TempDirectory) -> ExecAction {
        ExecAction(command: ["/bin/sh", "-c", script], executable: "/bin/sh", workingDirectory: directory.path, timeout: timeout)
    }

    @Test func execGetsTheIncidentAndItsOutputIsKept() async {
        let directory = TempDirectory()
        let outcome = await Self.exec("echo \"$WARDEN_ENGINE $WARDEN_CHECK $WARDEN_VALUE rung=$WARDEN_RUNG\"; echo oops >&2; pwd",
                                      in: directory).perform(Self.incident, Self.context())
        #expect(outcome.result == .success && outcome.detail == "exited with status 0")
        let lines = (outcome.output ?? "").split(separator: "\n").map(String.init)
        #expect(lines.contains("bot monitor_mismatch 6.0 rung=2") && lines.contains("oops"))
        #expect(lines.contains(directory.path) || lines.contains("/private" + directory.path))

        let failed = await Self.exec("exit 4", in: directory).perform(Self.incident, Self.context())
        #expect(failed.result == .failure && failed.detail == "exited with status 4")
    }

    @Test func execIsKilledWithItsChildrenAtItsTimeout() async throws {
        let directory = TempDirectory()
        let started = ContinuousClock.now
        let outcome = await Self.exec("sleep 30 & echo $! > child.pid; echo started; wait", timeout: .milliseconds(500),
                                      in: directory).perform(Self.incident, Self.context())
        #expect(outcome.result == .failure && outcome.detail == "timed out after 500ms; killed")
        #expect(outcome.output?.contains("started") == true)
        #expect(ContinuousClock.now - started < .seconds(10))
        let child = try #require(Int32(directory.read("child.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        try await eventually("the helper's own child is gone too") { isGone(child) }
    }

    @Test func aHelperThatExitsTakesWhatItLeftRunningWithIt() async throws {
        let directory = TempDirectory()
        let started = ContinuousClock.now
        // The backgrounded sleep holds stdout open; without the group kill the output would never end.
        let outcome = await Self.exec("sleep 30 & echo $! > child.pid; echo bye", in: directory).perform(Self.incident, Self.context())
        #expect(outcome.result == .success && outcome.output == "bye\n")
        // Well short of the 30 s the leftover sleeps: the output ended when the helper did, not when its child did.
        #expect(ContinuousClock.now - started < .seconds(10))
        let child = try #require(Int32(directory.read("child.pid")?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
        try await eventually("the leftover child is gone") { isGone(child) }
    }

    @Test func sqlWritesInOneTransactionAndNamesTheFileWhenItCannot() async throws {
        let directory = TempDirectory()
        let path = directory.file("engine.sqlite")
        let queue = try await Self.lockTable(at: path, rows: [
            ("partial_tp_ETHUSDT_long_stage1", "2020-01-01 00:00:00"), ("partial_tp_BTCUSDT_long_stage1", "2999-01-01 00:00:00"),
            ("other", "2020-01-01 00:00:00"),
        ])
        let release = SQLAction(probe: "db", path: path,
                                statement: "DELETE FROM system_config WHERE config_key LIKE 'partial_tp_%' AND warden_unixtime(expires_at) < :now",
                                timeout: .seconds(2), busyTimeout: .milliseconds(200), timestamps: TimestampParser())
        let outcome = await release.perform(Self.incident, Self.context())
        #expect(outcome == ActionOutcome(.success, "1 row changed"))
        let left = try await queue.read { try String.fetchAll($0, sql: "SELECT config_key FROM system_config ORDER BY 1") }
        #expect(left == ["other", "partial_tp_BTCUSDT_long_stage1"])

        // The engine holds a write lock: the action gives up after its busy timeout and says where.
        let blocked = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ActionOutcome, any Error>) in
            Task {
                do {
                    try await queue.inDatabase { db in
                        try db.execute(sql: "BEGIN IMMEDIATE")
                        let semaphore = DispatchSemaphore(value: 0)
                        Task {
                            continuation.resume(returning: await release.perform(Self.incident, Self.context()))
                            semaphore.signal()
                        }
                        semaphore.wait()
                        try db.execute(sql: "ROLLBACK")
                    }
                } catch { continuation.resume(throwing: error) }
            }
        }
        #expect(blocked.result == .failure && blocked.detail.hasPrefix(path + ": database is locked"), "\(blocked.detail)")
        let missing = await SQLAction(probe: "db", path: directory.file("gone.sqlite"), statement: "DELETE FROM x",
                                      timeout: .seconds(1), busyTimeout: .zero, timestamps: TimestampParser())
            .perform(Self.incident, Self.context())
        #expect(missing == ActionOutcome(.failure, "database \(directory.file("gone.sqlite")) does not exist"))
    }

    @Test func aRestartWaitsWhileATakeProfitLockIsHeldAndGoesAheadAfterMaxDefer() async throws {
        let directory = TempDirectory()
        let path = directory.file("engine.sqlite")
        let queue = try await Self.lockTable(at: path, rows: [("partial_tp_ETHUSDT_long_stage1", "2999-01-01 00:00:00")])
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: bot
                command: ["/bin/sh", "-c", "exec sleep 60"]
                stop: {grace_period: 2s}
            """)
        try await eventually("the engine runs") { engine.status.pid != nil }
        let pid = try #require(engine.status.pid)
        let held = "SELECT COUNT(*) FROM system_config WHERE config_key LIKE 'partial_tp_%' AND warden_unixtime(expires_at) >= :now"
        let condition = DeferCondition(source: .sql(probe: "db", query: held), path: path, timestamps: TimestampParser())
        let hook = Self.exec("echo pre-stop > hook.ran", in: directory)
        let context = Self.context(supervisor: engine.supervisor, board: engine.board)

        // The lock is held: the restart waits, and nothing is touched while it does.
        let patient = RestartAction(preStop: hook, deferWhile: condition, maxDefer: .seconds(30))
        let waiting = Task { await patient.perform(Self.incident, context) }
        try await Task.sleep(for: .milliseconds(700))
        #expect(engine.status.pid == pid && directory.read("hook.ran") == nil)
        // The take-profit finishes and releases its lock: the restart goes ahead, the hook first.
        try await queue.write { try $0.execute(sql: "DELETE FROM system_config") }
        let done = await waiting.value
        #expect(done.result == .success, "\(done.detail)")
        #expect(done.detail.contains("waited") && done.detail.contains("pre-stop hook run sh: success"), "\(done.detail)")
        #expect(directory.read("hook.ran") == "pre-stop\n", "the hook ran before the stop")
        let second = try #require(engine.status.pid)
        #expect(second != pid && engine.status.restartCounts[.health] == 1)

        // A lock that is never released delays the restart by max_defer, no longer.
        try await queue.write { try $0.execute(sql: "INSERT INTO system_config VALUES ('partial_tp_BTCUSDT_long_stage2', '2999-01-01 00:00:00')") }
        let started = ContinuousClock.now
        let forced = await RestartAction(deferWhile: condition, maxDefer: .milliseconds(600)).perform(Self.incident, context)
        #expect(forced.result == .success && forced.detail.contains("restarted although"), "\(forced.detail)")
        #expect(ContinuousClock.now - started >= .milliseconds(600))
        #expect(engine.status.pid != second)
        try await engine.stop()
    }
}
