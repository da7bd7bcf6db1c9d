import Foundation
import Testing
@testable import WardenKit

/// A crash that Warden repairs is still told: one message per unplanned exit (or per burst of them), none for
/// a stop that was planned.
struct RestartAlertTests {
    static let secret = "restart-alerts-webhook-secret"

    static func start(_ directory: TempDirectory, command: String, restarts: String, receiver: WebhookReceiver,
                      restart: String = "{initial_backoff: 200ms, multiplier: 1, jitter: 0}") throws -> WardenProcess {
        try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "\(command)"]
                restart: \(restart)
                health: {evaluate_every: 1s, startup_grace: 0s}
            """, extra: """
            admin_token: {env: WARDEN_RESTART_TOKEN}
            alerts:
              group_window: 0s
              restarts: \(restarts)
              channels: [{name: hook, webhook: {url: "\(receiver.url)", secret: {env: WARDEN_RESTART_HOOK}}}]
            """, environment: ["WARDEN_RESTART_HOOK": secret, "WARDEN_RESTART_TOKEN": "restart-token"])
    }

    static func events(_ receiver: WebhookReceiver, _ kind: AlertEvent.Kind) -> [AlertEvent] {
        receiver.deliveries.flatMap(\.payload.events).filter { $0.kind == kind }
    }

    @Test func everyCrashIsToldWithItsExitStatusTheBackoffAndTheBudgetLeft() async throws {
        let receiver = try await WebhookReceiver(secret: Self.secret)
        let warden = try Self.start(TempDirectory(), command: "sleep 0.3; exit 3", restarts: "{burst: 0s}", receiver: receiver)
        try await warden.waitReady()
        try await eventually("three crashes are told") { Self.events(receiver, .restart).count >= 3 }
        let told = Self.events(receiver, .restart)
        #expect(told.allSatisfy { $0.engine == "bot" && $0.level == .degraded && $0.component == "process" })
        let first = try #require(told.first)
        #expect(first.reason.hasPrefix("exited with status 3 after 3"), "\(first.reason)")
        #expect(first.reason.contains("restarting in 200ms, 9 of 10 restarts left within 1h"), "\(first.reason)")
        #expect(told[1].reason.contains("8 of 10 restarts left"), "\(told[1].reason)")
        #expect(told.allSatisfy { $0.reason.hasPrefix("exited with status 3") })
        #expect(receiver.deliveries.allSatisfy { $0.signatureValid })
    }

    @Test func aCrashLoopIsOneMessageThenTheCriticalOfTheSpentBudget() async throws {
        let receiver = try await WebhookReceiver(secret: Self.secret)
        let warden = try Self.start(TempDirectory(), command: "exit 3", restarts: "{burst: 1h}", receiver: receiver,
                                    restart: "{initial_backoff: 100ms, multiplier: 1, budget: 5}")
        try await warden.waitReady()
        try await eventually("the spent budget is told as CRITICAL") {
            Self.events(receiver, .transition).contains { $0.component == "process" && $0.level == .critical }
        }
        try await Task.sleep(for: .seconds(1))
        let told = Self.events(receiver, .restart)
        #expect(told.count == 1, "five crashes, one message: \(told.map(\.reason))")
        let metrics = try await warden.metrics()
        #expect(metric(metrics, #"warden_engine_restarts_total{engine="bot",reason="exit"}"#) == 5)
    }

    @Test func plannedStopsAndCleanExitsAreNotTold() async throws {
        let receiver = try await WebhookReceiver(secret: Self.secret)
        let warden = try Self.start(TempDirectory(), command: "trap 'exit 0' TERM; sleep 0.5 & wait; exit 0",
                                    restarts: "{burst: 0s}", receiver: receiver)
        try await warden.waitReady()
        // The engine exits 0 on its own every half second (its choice: restarted, not told), and a person restarts it.
        try await eventually("the engine has exited cleanly twice") {
            (metric(try await warden.metrics(), #"warden_engine_restarts_total{engine="bot",reason="exit"}"#) ?? 0) >= 2
        }
        let restart = try await http(warden.base + "/api/v1/engines/bot/restart", method: "POST", token: "restart-token")
        #expect(restart.status == 202)
        try await eventually("the manual restart happened") {
            metric(try await warden.metrics(), #"warden_engine_restarts_total{engine="bot",reason="manual"}"#) == 1
        }
        let flush = try await http(warden.base + "/api/v1/alerts/test?text=flush", method: "POST", token: "restart-token")
        #expect(flush.status == 202)
        try await eventually("the later test message arrived, so anything queued before it has too") {
            receiver.deliveries.contains { $0.payload.events.contains { $0.reason == "flush" } }
        }
        #expect(Self.events(receiver, .restart).isEmpty, "\(Self.events(receiver, .restart).map(\.reason))")
    }
}
