import Foundation
import Testing
@testable import WardenKit

/// Engines another supervisor runs: the real `warden` finds them by pidfile or by command line, watches them as it
/// watches a child, counts a new main process it did not ask for as an external restart, restarts them only
/// through their control command, and leaves them running when it stops.
struct AttachTests {
    /// A bot the test runs itself, in a session (and process group) of its own, writing its pid to `pidfile`;
    /// `tag` ends its command line. Stop it with `kill(-pid, …)`: its group holds its `sleep` too.
    static func startBot(in directory: TempDirectory, pidfile: String = "bot.pid", tag: String) async throws -> Int32 {
        _ = directory.write("bot.sh", """
            #!/bin/sh
            echo $$ > "$1"
            exec sh -c 'sleep 1000; :' "$2"
            """)
        unlink(directory.file(pidfile))
        // Scripts run through sh, never exec'd themselves: a process forked elsewhere in the test run while a script
        // was being written holds it open, and exec'ing it would fail with ETXTBSY.
        let script = "cd '\(directory.path)' && setsid sh ./bot.sh \(pidfile) '\(tag)' </dev/null >/dev/null 2>&1 &"
        let shell = await spawnToEnd(["/bin/sh", "-c", script])
        #expect(shell.status == 0, "\(shell.output)")
        var pid: Int32?
        try await eventually(timeout: .seconds(10), "the bot writes its pidfile") {
            pid = directory.read(pidfile).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            return pid != nil
        }
        return try #require(pid)
    }

    @Test func anEngineAttachedByPidfileIsWatchedRestartedThroughItsControlAndLeftRunning() async throws {
        let directory = TempDirectory()
        let token = "admin-\(UUID().uuidString)"
        _ = directory.write("admin-token", token)
        // What its own supervisor would do on `restart`: stop the bot and start a new one.
        _ = directory.write("restart.sh", """
            #!/bin/sh
            kill -- -"$(cat bot.pid)"
            rm -f bot.pid
            setsid sh ./bot.sh bot.pid "" </dev/null >/dev/null 2>&1 &
            # Done when the new bot runs, in a session of its own, as `supervisorctl restart` returns.
            while [ ! -s bot.pid ]; do sleep 0.05; done
            """)
        let first = try await Self.startBot(in: directory, tag: "")
        defer { kill(-first, SIGKILL) }
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                attach: {pidfile: bot.pid, interval: 200ms}
                control: {restart: ["sh", "restart.sh"], timeout: 10s}
                working_dir: \(directory.path)
                sampling_interval: 500ms
            """, extra: "admin_token: {file: admin-token}")
        try await warden.waitReady()
        try await eventually("the attached bot is found and its tree sampled") {
            let metrics = try await warden.metrics()
            return try await warden.enginePid("bot") == first && metric(metrics, #"warden_engine_up{engine="bot"}"#) == 1
                && (metric(metrics, #"warden_engine_resident_memory_bytes{engine="bot"}"#) ?? 0) > 0
        }
        let engine = try #require(try await warden.status().engines.first)
        #expect(engine.state == "running" && engine.attachment?.how == "pidfile \(directory.path)/bot.pid")
        #expect(engine.attachment?.restartedBy?.hasSuffix("/sh restart.sh") == true, "\(String(describing: engine.attachment))")
        #expect(try await http(warden.base + "/").body.contains("attached by pidfile"))

        // Its own supervisor restarts it: a new main pid Warden did not ask for.
        kill(-first, SIGKILL)
        let second = try await Self.startBot(in: directory, tag: "")
        defer { kill(-second, SIGKILL) }
        try await eventually("the new main process is an external restart") {
            let metrics = try await warden.metrics()
            return try await warden.enginePid("bot") == second
                && metric(metrics, #"warden_engine_restarts_total{engine="bot",reason="external"}"#) == 1
        }

        // Restarted by hand through Warden: its control command runs, a new process comes, counted as manual.
        let asked = try await http(warden.base + "/api/v1/engines/bot/restart", method: "POST", token: token)
        #expect(asked.status == 202, "\(asked.body)")
        try await eventually("the control command restarted it\n\(warden.log)") {
            guard let pid = try await warden.enginePid("bot"), pid != second else { return false }
            return try await warden.status().engines[0].restartsByReason["manual"] == 1
        }
        let third = try #require(try await warden.enginePid("bot"))
        defer { kill(-third, SIGKILL) }
        #expect(isGone(second))
        #expect(try await warden.status().engines[0].restartsByReason["external"] == 1, "Warden's own restart is not external")

        // Warden stops; the engine is not Warden's to stop.
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
        #expect(!isGone(third), "the attached bot runs on")
    }

    @Test func aProcessMatchTakesTheOnlyMatchAndNamesEveryMatchRatherThanGuess() async throws {
        let directory = TempDirectory()
        let tag = "attach-\(UUID().uuidString.prefix(8))"
        let first = try await Self.startBot(in: directory, pidfile: "one.pid", tag: tag)
        defer { kill(-first, SIGKILL) }
        let token = "admin-\(UUID().uuidString)"
        _ = directory.write("admin-token", token)
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                attach: {process: {match: "\(tag)"}, interval: 200ms}
                health: {evaluate_every: 300ms, escalate_after: 1}
            """, extra: "admin_token: {file: admin-token}")
        try await warden.waitReady()
        try await eventually("the one match is the engine") { try await warden.enginePid("bot") == first }

        let second = try await Self.startBot(in: directory, pidfile: "two.pid", tag: tag)
        defer { kill(-second, SIGKILL) }
        try await eventually("two unrelated matches: none is taken, both are named") {
            let engine = try await warden.status().engines[0]
            return engine.state == "absent" && engine.pid == nil
                && engine.lastStartError?.contains("2 processes match") == true
                && engine.lastStartError?.contains("\(first)") == true && engine.lastStartError?.contains("\(second)") == true
        }
        try await eventually("the process component says so") {
            let process = try await warden.status().engines[0].health.components["process"]
            return process?.level == .degraded && process?.reason?.contains("not found: 2 processes match") == true
        }
        #expect(try await http(warden.base + "/api/v1/engines/bot/restart", method: "POST", token: token).status == 409,
                "no control: Warden cannot restart it")
    }
}
