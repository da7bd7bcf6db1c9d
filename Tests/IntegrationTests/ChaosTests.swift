import Foundation
import Testing
@testable import WardenKit

/// Chaos: the engine and Warden's own surroundings misbehaving, each case bounded in time. Warden
/// must keep supervising, say what is wrong once, and answer over HTTP as usual.
@Suite(.serialized)
struct ChaosTests {
    /// Frozen by SIGSTOP, an engine looks alive to the kernel. Its heartbeat stops, its policy restarts it,
    /// and the frozen group is woken (SIGCONT) to handle its TERM rather than die by SIGKILL after the grace.
    @Test func aFrozenEngineIsRestartedByItsPolicyAndLeavesGracefully() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "trap 'echo clean-exit >> exits.log; exit 0' TERM; while true; do touch heartbeat; sleep 0.1; done"]
                stop: {signal: SIGTERM, grace_period: 10s}
                probes:
                  - {name: beat, heartbeat_file: {path: heartbeat}, interval: 200ms}
                health: {evaluate_every: 500ms, escalate_after: 1, recover_after: 1, startup_grace: 1s,
                         thresholds: {heartbeat_age: {unhealthy: 2s}}}
                remediation:
                  policies:
                    - {name: restart-when-frozen, component: decisions, ladder: [{restart: {}}]}
            """)
        try await warden.waitReady()
        let frozen = try #require(try await warden.enginePid("bot"))
        try await Task.sleep(for: .seconds(1.5))  // judged from now on
        let started = ContinuousClock.now
        kill(-frozen, SIGSTOP)
        try await eventually(timeout: .seconds(15), "a new engine replaces the frozen one\n\(warden.log)") {
            let pid = try await warden.enginePid("bot")
            return pid != nil && pid != frozen
        }
        #expect(ContinuousClock.now - started < .seconds(8), "2 s of silence, then a stop well inside its 10 s grace")
        #expect(isGone(frozen))
        #expect(directory.read("exits.log")?.contains("clean-exit") == true, "woken, it handled TERM itself")
        let metrics = try await warden.metrics()
        #expect(metric(metrics, #"warden_engine_restarts_total{engine="bot",reason="health"}"#) == 1)
    }

    /// The engine's database under an exclusive lock for 30 s: its probe fails with SQLite's reason, the
    /// heartbeat probe keeps reading, and Warden's HTTP answers as fast as before the lock.
    @Test func aDatabaseLockedForThirtySecondsSlowsNothingElse() async throws {
        let directory = TempDirectory()
        let database = directory.file("engine.sqlite")
        try runToEnd("/usr/bin/python3", ["-c", """
            import sqlite3, sys
            sqlite3.connect(sys.argv[1]).executescript(
                "CREATE TABLE futures_positions (symbol TEXT, status TEXT, planned_close_time TEXT);"
                "CREATE TABLE position_stops (symbol TEXT, status TEXT, stop_loss REAL, take_profit REAL);")
            """, database])
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "trap 'exit 0' TERM; while true; do touch heartbeat; sleep 0.2; done"]
                probes:
                  - {name: db, sqlite: {path: engine.sqlite, busy_timeout: 200ms}, interval: 500ms, timeout: 2s}
                  - {name: beat, heartbeat_file: {path: heartbeat}, interval: 500ms}
                checks:
                  positions: {database: db}
            """)
        try await warden.waitReady()
        func probe(_ name: String) async throws -> StatusDocument.ProbeState? { try await warden.status().engines[0].probes[name] }
        try await eventually("the database reads before the lock") { try await probe("db")?.success == true }
        let before = try await latencies(of: warden, for: .seconds(3))

        let locker = Process()
        locker.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        locker.arguments = ["-c", """
            import sqlite3, sys, time
            c = sqlite3.connect(sys.argv[1], isolation_level=None)
            c.execute('PRAGMA locking_mode = EXCLUSIVE'); c.execute('BEGIN EXCLUSIVE'); c.execute(\"INSERT INTO futures_positions VALUES ('BTCUSDT', 'open', NULL)\")
            print('locked', flush=True); time.sleep(30)
            """, database]
        let lockerOutput = Pipe()
        locker.standardOutput = lockerOutput
        try locker.run()
        defer { if locker.isRunning { locker.terminate() } }
        #expect(String(decoding: lockerOutput.fileHandleForReading.availableData, as: UTF8.self).hasPrefix("locked"))

        let during = try await latencies(of: warden, for: .seconds(28))
        let db = try await probe("db")
        #expect(db?.success == false)
        #expect(db?.failure?.contains("database is locked") == true, "\(db?.failure ?? "no reason")")
        let beat = try #require(try await probe("beat"))
        #expect(beat.success && Date().timeIntervalSince1970 - beat.at < 2, "the other probe kept running")
        // A server that waited on the lock would show it in whole busy timeouts (the median), or in the whole 30 s (the
        // slowest answer; a busy machine may hold one answer up a second or so for reasons of its own).
        #expect(during.median < max(0.1, before.median * 5), "median \(during.median) s against \(before.median) s before")
        #expect(during.max < 5, "slowest answer during the lock: \(during.max) s")
        try await eventually(timeout: .seconds(10), "the locker lets go") { !locker.isRunning }
        try await eventually(timeout: .seconds(10), "the database reads again once the lock is gone") {
            try await probe("db")?.success == true
        }
        #expect(warden.process.isRunning)
    }

    /// `/metrics` and `/api/v1/status` timed back to back for `duration`: (median, max) in seconds.
    func latencies(of warden: WardenProcess, for duration: Duration) async throws -> (median: Double, max: Double) {
        var samples: [Double] = []
        let end = ContinuousClock.now + duration
        while ContinuousClock.now < end {
            for path in ["/metrics", "/api/v1/status"] {
                let started = ContinuousClock.now
                #expect(try await http(warden.base + path).status == 200)
                samples.append((ContinuousClock.now - started).seconds)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        samples.sort()
        return (samples[samples.count / 2], samples.last ?? 0)
    }

    /// Runs Warden with its state directory on a small tmpfs (mounted with `options`) in a mount namespace of
    /// its own, so that the test can fill it, and everything vanishes with the process.
    static func wardenOnTmpfs(_ directory: TempDirectory, options: String) throws -> WardenProcess {
        try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper, launcher: [
            "/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            "mkdir -p state && mount -t tmpfs -o \(options) tmpfs state && exec \"$@\"", "sh",
        ])
    }

    static func crashAndWaitForTheNext(_ warden: WardenProcess) async throws {
        let pid = try #require(try await warden.enginePid("bot"))
        kill(pid, SIGKILL)
        try await eventually("the engine is restarted\n\(warden.log)") {
            let next = try await warden.enginePid("bot")
            return next != nil && next != pid
        }
    }

    /// Warden's state directory fills up, then has room again. The failure streak is named once, with the file
    /// and SQLite's reason, and counted; the engine is restarted every time it dies; history resumes.
    @Test func aFullStateDirectoryIsNamedOnceAndSupervisionGoesOn() async throws {
        let directory = TempDirectory()
        let warden = try Self.wardenOnTmpfs(directory, options: "size=2m,mode=700")
        try await warden.waitReady()
        let state = directory.file("state")
        func inWardensMounts(_ command: String) throws -> Int32 {
            try runToEnd("/usr/bin/nsenter", ["-t", "\(warden.process.processIdentifier)", "-m", "--", "/bin/sh", "-c", command]).status
        }
        func failures() async throws -> Double { metric(try await warden.metrics(), "warden_store_write_failures_total") ?? 0 }

        #expect(try inWardensMounts("cat /dev/zero > \(state)/filler 2>/dev/null; test -s \(state)/filler") == 0)
        try await Self.crashAndWaitForTheNext(warden)
        try await Self.crashAndWaitForTheNext(warden)
        try await eventually("the full disk is named\n\(warden.log)") { warden.log.contains("database or disk is full") }
        #expect(try await failures() >= 2, "each refused write is counted")
        #expect(warden.log.components(separatedBy: "supervision continues without history").count == 2, "said once per streak")

        #expect(try inWardensMounts("rm \(state)/filler") == 0)
        try await Self.crashAndWaitForTheNext(warden)
        let settled = try await failures()
        try await Self.crashAndWaitForTheNext(warden)
        #expect(try await failures() == settled, "with room again, history is written again")
        #expect(try await http(warden.base + "/healthz").status == 200)
    }

    /// A state directory that is read-only from the start: Warden says why, keeps this run's state in a
    /// temporary database, and supervises as usual.
    @Test func aReadOnlyStateDirectoryFallsBackToATemporaryDatabaseAndSupervises() async throws {
        let directory = TempDirectory()
        let warden = try Self.wardenOnTmpfs(directory, options: "size=1m,ro")
        try await warden.waitReady()
        #expect(warden.log.contains("cannot open Warden's database \(directory.path)/state/warden.sqlite"), "\(warden.log)")
        #expect(warden.log.contains("supervising with a temporary one in"))
        try await Self.crashAndWaitForTheNext(warden)
        #expect(metric(try await warden.metrics(), #"warden_engine_restarts_total{engine="bot",reason="signal"}"#) == 1)
        #expect(try await warden.status().engines[0].state == "running")

        let fallback = try #require(warden.log.firstMatch(of: #/temporary one in (\S+):/#)?.output.1)
        #expect(FileManager.default.fileExists(atPath: String(fallback) + "/warden.sqlite"))
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: String(fallback)), "a stopped Warden leaves no temporary database behind")
    }
}

/// Warden's own appetite while nothing happens: its loops sleep until rung or due.
struct IdleTests {
    /// A regression guard, not a benchmark (benchmarks/run measures): a judge whose timer woke its next wait
    /// spun at 150% CPU with every test still green. An idle Warden with busy probes uses a few percent at most.
    @Test func anIdleWardenSleeps() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "trap 'exit 0' TERM; while true; do touch heartbeat; sleep 0.1; done"]
                probes:
                  - {name: beat, heartbeat_file: {path: heartbeat}, interval: 100ms}
                health: {evaluate_every: 1s, startup_grace: 0s}
            """)
        try await warden.waitReady()
        func cpuSeconds() throws -> Double {
            let stat = try String(contentsOfFile: "/proc/\(warden.process.processIdentifier)/stat", encoding: .utf8)
            let fields = stat[stat.range(of: ")")!.upperBound...].split(separator: " ")
            return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
        }
        try await Task.sleep(for: .seconds(1))
        let before = try cpuSeconds()
        try await Task.sleep(for: .seconds(5))
        let used = try cpuSeconds() - before
        #expect(used < 1, "Warden used \(used) s of CPU in 5 s of quiet")
    }
}
