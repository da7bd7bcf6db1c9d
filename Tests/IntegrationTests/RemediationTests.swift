import Foundation
import Testing
@testable import WardenKit

/// Each fault of the demo engine leads to its level and its remediation (the demo config reproduces the fixes
/// the incidents' authors made by hand, docs/incidents.md), and the level recovers once the fault is gone.
struct RemediationTests {
    @Test func lostMonitoringIsRearmedAndPositionsRecover() async throws {
        let demo = try await DemoWarden.start()
        defer { demo.stop() }
        try await demo.waitFor("positions", .healthy)
        let pid = try await demo.warden.enginePid("demo")
        try await demo.fault("drop_monitoring")

        let judged = try await demo.waitFor("positions", .unhealthy)
        #expect(judged.check == "monitor_mismatch" || judged.check == "overdue_positions")
        let rearm = try await demo.waitForAction("http", .success)
        #expect(rearm.detail == "HTTP 200" && rearm.source == "policy rearm-monitoring" && rearm.rung == 0)
        #expect(rearm.reason.contains("(UNHEALTHY at ≥ 1)"), "the audit says why: \(rearm.reason)")
        try await demo.waitFor("positions", .healthy)
        #expect(try await demo.warden.enginePid("demo") == pid, "re-arming fixed it: no restart")

        let metrics = try await demo.warden.metrics()
        #expect(metric(metrics, "warden_remediations_total{engine=\"demo\",action=\"http\",result=\"success\"}") == 1)
        #expect(metric(metrics, "warden_health_transitions_total{engine=\"demo\",component=\"positions\",to=\"UNHEALTHY\"}") == 1)
        #expect(metric(metrics, "warden_health_level{engine=\"demo\",component=\"positions\"}") == 0)

        // Everything is in Warden's database too.
        let store = try WardenStore(path: demo.directory.file("state/warden.sqlite"), logger: .init(label: "test"))
        let transitions = try store.recentTransitions(engine: "demo").filter { $0.component == "positions" }
        #expect(transitions.map(\.to) == ["HEALTHY", "UNHEALTHY"])
        let audit = try store.recentAudit(engine: "demo")
        #expect(audit.contains { $0.action == "http" && $0.result == .success && $0.finishedAt != nil })
    }

    @Test func aFailingFirstRungEscalatesToARestart() async throws {
        let demo = try await DemoWarden.start { engine in
            guard case .http(var rearm) = engine.remediation.policies[0].ladder[0].action else { return }
            rearm.url = URL(string: rearm.url.absoluteString.replacingOccurrences(of: "/admin/rearm-monitoring?reason=warden",
                                                                                  with: "/admin/no-such-endpoint"))!
            engine.remediation.policies[0].ladder[0].action = .http(rearm)
        }
        defer { demo.stop() }
        try await demo.waitFor("positions", .healthy)
        let pid = try await demo.warden.enginePid("demo")
        try await demo.fault("drop_monitoring")

        let failed = try await demo.waitForAction("http", .failure)
        #expect(failed.detail == "HTTP 404")
        let restart = try await demo.waitForAction("restart", .success)
        #expect(restart.rung == 1 && restart.incident == failed.incident, "the next rung of the same incident")
        #expect(try await demo.warden.enginePid("demo") != pid)
        try await demo.waitFor("positions", .healthy)
        let metrics = try await demo.warden.metrics()
        #expect(metric(metrics, "warden_engine_restarts_total{engine=\"demo\",reason=\"health\"}") == 1)
    }

    @Test func staleLocksAreReleasedAndLocksRecoverWhenTheFaultClears() async throws {
        let demo = try await DemoWarden.start()
        defer { demo.stop() }
        try await demo.waitFor("locks", .healthy)
        try await demo.fault("stale_locks")
        try await demo.waitFor("locks", .unhealthy)
        let release = try await demo.waitForAction("sql", .success)
        let detail = release.detail ?? ""
        #expect(detail.hasSuffix("changed") && !detail.hasPrefix("0 "), "locks were deleted: \(detail)")
        try await demo.fault("stale_locks", on: false)
        try await demo.waitFor("locks", .healthy)
    }

    @Test(arguments: ["hang", "silent_decisions", "leak_memory"])
    func anEngineThatStopsWorkingIsRestarted(_ fault: String) async throws {
        let demo = try await DemoWarden.start("restart-\(fault)")
        defer { demo.stop() }
        try await demo.waitFor("decisions", .healthy)
        let pid = try #require(try await demo.warden.enginePid("demo"))
        try await demo.fault(fault)

        let restart = try await demo.waitForAction("restart", .success, timeout: .seconds(40))
        #expect(restart.detail?.hasPrefix("restarted: pid \(pid) → ") == true)
        #expect(isGone(pid))
        // The new process runs without the fault: every component is healthy again.
        try await eventually(timeout: .seconds(30), "the engine is healthy again") {
            try await demo.engine().health.level == .healthy
        }
        let metrics = try await demo.warden.metrics()
        #expect((metric(metrics, "warden_engine_restarts_total{engine=\"demo\",reason=\"health\"}") ?? 0) >= 1)
    }

    @Test func dryRunAuditsEveryRungActsOnNothingAndThenAsksForAHuman() async throws {
        let demo = try await DemoWarden.start(extra: "remediation: {dry_run: true}")
        defer { demo.stop() }
        try await demo.waitFor("positions", .healthy)
        let pid = try await demo.warden.enginePid("demo")
        try await demo.fault("drop_monitoring")

        let rearm = try await demo.waitForAction("http", .dryRun)
        #expect(rearm.dryRun && rearm.detail?.hasPrefix("dry run: would POST http://127.0.0.1:") == true)
        try await demo.waitForAction("restart", .dryRun)
        // Both rungs taken, the condition stays: CRITICAL, and the status says a human is needed.
        let critical = try await demo.waitFor("positions", .critical)
        #expect(critical.findings.contains { $0.check == "remediation_exhausted" && $0.message.contains("a human is needed") })
        #expect(try await demo.engine().remediation.exhausted == ["rearm-monitoring"])
        #expect(try await demo.warden.enginePid("demo") == pid, "dry run restarted nothing")
        let metrics = try await demo.warden.metrics()
        #expect((metric(metrics, "warden_monitor_mismatch{engine=\"demo\"}") ?? 0) > 1, "dry run re-armed nothing")
        #expect(metric(metrics, "warden_remediations_total{engine=\"demo\",action=\"http\",result=\"success\"}") == 0)

        // A person re-arms by hand: the condition clears, the pin lifts and the level recovers.
        #expect(try await http(demo.engineBase + "/admin/rearm-monitoring", method: "POST").status == 200)
        try await demo.waitFor("positions", .healthy)
        #expect(try await demo.engine().remediation.exhausted.isEmpty)
    }

    @Test func theDemoEngineCrashingOnEveryStartIsStoppedByTheBudgetAndCalledCritical() async throws {
        let demo = try await DemoWarden.start { engine in
            engine.command += ["--fault", "crash", "--fault-after", "0.3"]
            engine.restart.initialBackoff = .milliseconds(100)
            engine.restart.budget = 3
        }
        defer { demo.stop() }
        let process = try await demo.waitFor("process", .critical)
        #expect(process.reason?.contains("restart budget spent") == true)
        let engine = try await demo.engine()
        #expect(engine.state == "gave_up" && engine.needsHuman && engine.restartsByReason["exit"] == 3)
        let metrics = try await demo.warden.metrics()
        #expect(metric(metrics, "warden_engine_gave_up{engine=\"demo\"}") == 1)
        #expect(metric(metrics, "warden_health_transitions_total{engine=\"demo\",component=\"process\",to=\"CRITICAL\"}") == 1)
    }

    @Test func aCrashLoopSpendsTheBudgetAndIsCriticalOnce() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: """
              - name: loop
                command: ["/bin/sh", "-c", "exit 3"]
                restart: {initial_backoff: 0s, budget: 3}
                health: {evaluate_every: 200ms}
            """)
        try await warden.waitReady()
        try await eventually(timeout: .seconds(15), "process is CRITICAL") {
            try await warden.status().engines.first?.health.components["process"]?.level == .critical
        }
        let status = try #require(try await warden.status().engines.first)
        #expect(status.needsHuman && status.health.level == .critical && status.state == "gave_up")
        #expect(status.health.components["process"]?.reason?.contains("a human is needed") == true)
        try await Task.sleep(for: .seconds(1))
        let metrics = try await warden.metrics()
        #expect(metric(metrics, "warden_health_transitions_total{engine=\"loop\",component=\"process\",to=\"CRITICAL\"}") == 1)
        #expect(metric(metrics, "warden_engine_restarts_total{engine=\"loop\",reason=\"exit\"}") == 3)
        #expect(metric(metrics, "warden_engine_health_level{engine=\"loop\"}") == 3)
    }
}
