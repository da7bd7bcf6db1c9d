import Foundation
import Testing
@testable import WardenKit

/// `health:` and `remediation:` as users write them, and the errors a mistake gets.
struct RemediationConfigTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])

    func engine(_ body: String, top: String = "") throws(ConfigError) -> (WardenConfig, EngineConfig) {
        let config = try loader.parse("""
            \(top)
            engines:
              - name: bot
                command: [sh, -c, "exit 0"]
                probes:
                  - {name: db, sqlite: {path: /tmp/bot.db}}
                  - {name: rw, sqlite: {path: /tmp/bot.db, allow_writes: true}}
                  - {name: status, http: {url: "http://127.0.0.1:8080/status"}}
                checks:
                  positions: {database: db}
                  locks: {database: db}
            \(body)
            """, file: "warden.yml", baseDirectory: "/etc/warden")
        return (config, config.engines[0])
    }

    func messages(_ body: String, top: String = "") -> [String] {
        do {
            _ = try engine(body, top: top)
            Issue.record("expected the config to be rejected")
            return []
        } catch {
            return error.issues.map(\.description)
        }
    }

    @Test func healthAndRemediationAreRead() throws {
        let (config, engine) = try engine("""
                health:
                  evaluate_every: 5s
                  escalate_after: 2
                  thresholds:
                    memory_ratio: {degraded: 70%, unhealthy: 0.85}
                    decision_age: {unhealthy: 2m, critical: 10m}
                    memory_bytes: {unhealthy: 2GB}
                    cpu_ratio: off
                remediation:
                  pre_stop: {exec: {command: [/bin/true], timeout: 3s}}
                  policies:
                    - name: rearm
                      component: positions
                      checks: [monitor_mismatch]
                      for: 30s
                      budget: {max: 4, window: 2h}
                      ladder:
                        - {http: {url: "http://127.0.0.1:8080/admin/rearm", headers: {X-Key: k}}, verify_after: 2}
                        - restart: {defer_while: {probe: db, query: "SELECT COUNT(*) FROM locks"}, max_defer: 2m}
                        - signal: SIGHUP
                    - name: release
                      component: locks
                      level: degraded
                      ladder: [{sql: {probe: rw, statement: "DELETE FROM locks"}}]
                  alertmanager:
                    - {alertname: WardenEngineFlapping, labels: {severity: critical}, action: {restart: {}}, on_resolved: false}
            """, top: "remediation: {dry_run: true, budget: {max: 5, window: 30m}}")
        #expect(config.remediation.dryRun && config.remediation.budget == .init(limit: 5, window: .seconds(1800)))
        #expect(engine.health.evaluateEvery == .seconds(5) && engine.health.escalateAfter == 2 && engine.health.recoverAfter == 3)
        #expect(engine.health.threshold(.memoryRatio) == Threshold(degraded: 0.7, unhealthy: 0.85))
        #expect(engine.health.threshold(.decisionAge) == Threshold(unhealthy: 120, critical: 600))
        #expect(engine.health.threshold(.memoryBytes) == Threshold(unhealthy: 2_000_000_000))
        #expect(engine.health.threshold(.cpuRatio) == .off)
        #expect(engine.health.threshold(.threads) == Threshold(unhealthy: 500), "untouched thresholds keep their defaults")

        let rearm = try #require(engine.remediation.policies.first)
        #expect(rearm.component == .positions && rearm.checks == [.monitorMismatch] && rearm.level == .unhealthy)
        #expect(rearm.holdFor == .seconds(30) && rearm.cooldown == .seconds(300) && rearm.budget == .init(limit: 4, window: .seconds(7200)))
        #expect(rearm.ladder.map(\.action.kind) == ["http", "restart", "signal"])
        #expect(rearm.ladder.map(\.verifyAfter) == [2, 3, 3])
        let restart = try #require(rearm.ladder[1].action as? RestartAction)
        #expect(restart.preStop?.kind == "exec" && restart.maxDefer == .seconds(120))
        #expect(restart.deferWhile?.path == "/tmp/bot.db")
        #expect(engine.remediation.policies[1].level == .degraded)
        #expect(engine.remediation.alertmanager.first?.labels == ["severity": "critical"])
    }

    @Test func mistakesAreNamedWithTheirPlace() {
        let errors = messages("""
                health:
                  thresholds:
                    memory_ratio: {degraded: 0.9, unhealthy: 0.8}
                    memroy_ratio: {unhealthy: 0.9}
                remediation:
                  policies:
                    - name: a
                      component: position
                      ladder: [{restart: {}}]
                    - name: b
                      component: locks
                      checks: [monitor_mismatch]
                      ladder: [{sql: {probe: db, statement: "DELETE FROM locks"}}]
                    - name: c
                      component: api
                      ladder: [{exec: {command: "curl -X POST http://x"}}, {restart: {}, signal: SIGHUP}]
                    - name: d
                      component: locks
                      level: healthy
                    - name: e
                      component: websocket
                      ladder: [{restart: {}}]
            """)
        let expected = [
            "warden.yml:14: engines[0].health.thresholds.memory_ratio: bounds must rise from degraded to unhealthy to critical",
            "warden.yml:15: engines[0].health.thresholds.memroy_ratio: unknown key \"memroy_ratio\"",
            "warden.yml:19: engines[0].remediation.policies[0].component: unknown component \"position\"",
            "warden.yml:23: engines[0].remediation.policies[1].checks[0]: check monitor_mismatch belongs to component positions, not locks",
            "warden.yml:24: engines[0].remediation.policies[1].ladder[0].sql.probe: probe \"db\" does not allow writes",
            "warden.yml:27: engines[0].remediation.policies[2].ladder[0].exec.command: command must be a list of arguments; shell strings are not accepted",
            "warden.yml:27: engines[0].remediation.policies[2].ladder[1]: expected exactly one action",
            "warden.yml:30: engines[0].remediation.policies[3].level: a policy acts on DEGRADED, UNHEALTHY or CRITICAL, not HEALTHY",
            "warden.yml:28: engines[0].remediation.policies[3]: missing required key \"ladder\"",
            "warden.yml:32: engines[0].remediation.policies[4].component: nothing feeds component websocket in this engine",
        ]
        for prefix in expected {
            #expect(errors.contains { $0.hasPrefix(prefix) }, "missing: \(prefix)\ngot:\n\(errors.joined(separator: "\n"))")
        }
    }
}
