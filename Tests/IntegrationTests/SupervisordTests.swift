import Foundation
import Testing
@testable import WardenKit

/// The demo engine run by the real supervisord, with the demo's whole configuration (probes, log rules, checks,
/// policies) attached instead of started: watched and judged as a child is, its log rules reading supervisord's
/// log file across supervisord's own rotations, a kill that supervisord repairs counted as an external restart,
/// a hung engine restarted through `supervisorctl restart`, and the engine left running when Warden stops.
struct SupervisordTests {
    /// The demo under supervisord, attached by `how`; restarted through supervisorctl when `controlled`.
    static func start(_ name: String = #function, attach how: (Supervisord, ConfigFile.Engine) -> ConfigFile.Attach.Target,
                      controlled: Bool) async throws -> (DemoWarden, Supervisord) {
        var supervisord: Supervisord?
        let demo = try await DemoWarden.start(name) { engine in
            // 2 KB: the demo at test pace fills that in a few seconds, so supervisord rotates its log often.
            let program = try await Supervisord(directory: engine.workingDirectory!, name: "demo", command: engine.command,
                                          logMaxBytes: 2048)
            supervisord = program
            engine.attach = ConfigFile.Attach(how(program, engine))
            engine.attach?.interval = .milliseconds(200)
            if controlled {
                engine.control = ConfigFile.Control()
                engine.control?.restart = program.control + ["restart", "demo"]
                engine.control?.timeout = .seconds(30)
            } else {
                engine.remediation = ConfigFile.EngineRemediation()   // its restarts could not be carried out
            }
            engine.command = []
            engine.logs.follow = program.logFile
        }
        return (demo, try #require(supervisord))
    }

    @Test func aBotSupervisordRunsIsWatchedByPidfileRepairedByItRestartedThroughItAndLeftRunning() async throws {
        let (demo, supervisord) = try await Self.start(attach: { program, _ in .pidfile(program.pidfile) }, controlled: true)
        defer {
            demo.stop()
            supervisord.shutdown()
        }
        var first: Int32?
        try await eventually("Warden finds the engine supervisord runs and samples its tree\n\(demo.warden.log.suffix(3000))") {
            first = supervisord.pid
            let metrics = try await demo.warden.metrics()
            let found = try await demo.warden.enginePid("demo")
            return first != nil && found == first
                && metric(metrics, #"warden_engine_up{engine="demo"}"#) == 1
                && (metric(metrics, #"warden_engine_resident_memory_bytes{engine="demo"}"#) ?? 0) > 0
        }
        // Judged as a child is, every component from the same probes, checks and (followed) log rules.
        try await eventually("the attached engine is HEALTHY\n\(demo.warden.log.suffix(3000))") {
            try await demo.engine().health.level == .healthy
        }
        let engine = try await demo.engine()
        #expect(engine.attachment?.how == "pidfile \(supervisord.pidfile)")
        #expect(engine.attachment?.restartedBy == (supervisord.control + ["restart", "demo"]).joined(separator: " "))

        // supervisord rotates its log by renaming it; the decision heartbeat goes on from the new file.
        try await eventually(timeout: .seconds(60), "supervisord rotates the log") {
            FileManager.default.fileExists(atPath: supervisord.logFile + ".1")
        }
        let rotated = Date().timeIntervalSince1970
        try await eventually("decisions are read from the file after the rotation\n\(demo.warden.log.suffix(3000))") {
            (metric(try await demo.warden.metrics(), #"warden_log_rule_last_match_timestamp_seconds{engine="demo",rule="decision"}"#) ?? 0)
                > rotated + 2
        }

        // kill -9: supervisord starts a new process, which Warden did not ask for.
        let killed = try #require(first)
        kill(killed, SIGKILL)
        var second: Int32?
        try await eventually("the new process is an external restart\n\(demo.warden.log.suffix(3000))") {
            second = supervisord.pid
            let metrics = try await demo.warden.metrics()
            let found = try await demo.warden.enginePid("demo")
            return second != killed && found == second
                && metric(metrics, #"warden_engine_restarts_total{engine="demo",reason="external"}"#) == 1
        }
        try await demo.waitFor("decisions", .healthy)

        // Hung: alive, answering nothing. Warden's policy restarts it through supervisorctl, within its budget.
        try await demo.fault("hang")
        let restart = try await demo.waitForAction("restart", .success, timeout: .seconds(60))
        let hung = try #require(second)
        #expect(restart.detail?.hasPrefix("restarted: pid \(hung) → ") == true, "\(restart)")
        #expect(isGone(hung))
        // The new process runs without the fault, under supervisord.
        try await eventually(timeout: .seconds(40), "the engine is healthy again\n\(demo.warden.log.suffix(3000))") {
            try await demo.engine().health.level == .healthy
        }
        // supervisord counts it as running once it has lived `startsecs`; Warden watches that very process.
        var third: Int32?
        try await eventually("supervisord runs the process Warden watches") {
            let status = await supervisord.ctl("status", "demo").output
            third = try await demo.warden.enginePid("demo")
            guard let watched = third else { return false }
            return supervisord.pid == watched && status.contains("RUNNING") && status.contains("pid \(watched),")
        }
        let running = try #require(third)
        let metrics = try await demo.warden.metrics()
        let restarts = try #require(metric(metrics, #"warden_engine_restarts_total{engine="demo",reason="health"}"#))
        #expect(restarts >= 1)
        #expect(metric(metrics, #"warden_engine_restarts_total{engine="demo",reason="external"}"#) == 1,
                "Warden's own restarts are not external")
        #expect(metric(metrics, #"warden_engine_restart_budget_remaining{engine="demo"}"#) == 10 - restarts,
                "counted in the restart budget")
        let audited = try await demo.warden.status().engines[0].remediation.recent.filter { $0.action == "restart" && $0.result == .success }
        #expect(Double(audited.count) == restarts, "every restart audited")

        // Warden stops; the engine is supervisord's, and runs on.
        demo.warden.signal(SIGTERM)
        #expect(try await demo.warden.waitExit() == 0)
        #expect(!isGone(running) && supervisord.pid == running, "the engine runs on under supervisord")
    }

    @Test func aBotSupervisordRunsIsFoundByItsCommandLine() async throws {
        let (demo, supervisord) = try await Self.start(attach: { _, engine in
            // The engine's own flags, which name its port: only this test's engine matches.
            .process(match: engine.command.dropFirst().joined(separator: " "), user: nil)
        }, controlled: false)
        defer {
            demo.stop()
            supervisord.shutdown()
        }
        var first: Int32?
        try await eventually("Warden finds the engine by its command line\n\(demo.warden.log.suffix(3000))") {
            first = supervisord.pid
            let found = try await demo.warden.enginePid("demo")
            return first != nil && found == first
        }
        let found = Date().timeIntervalSince1970
        try await eventually("its decisions are read from supervisord's log file") {
            (metric(try await demo.warden.metrics(), #"warden_log_rule_last_match_timestamp_seconds{engine="demo",rule="decision"}"#) ?? 0)
                > found
        }
        #expect(try await demo.engine().attachment?.restartedBy == nil)

        kill(try #require(first), SIGKILL)
        try await eventually("the process supervisord starts again is found, an external restart\n\(demo.warden.log.suffix(3000))") {
            let metrics = try await demo.warden.metrics()
            let now = supervisord.pid
            let found = try await demo.warden.enginePid("demo")
            return now != first && found == now
                && metric(metrics, #"warden_engine_restarts_total{engine="demo",reason="external"}"#) == 1
        }
    }
}
