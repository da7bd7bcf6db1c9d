import Foundation
import Testing
@testable import WardenKit

/// A person working on an engine: Warden keeps watching and showing it, but acts on nothing and tells nobody of
/// its levels until maintenance ends, then says what it held back.
@Suite(.serialized)
struct MaintenanceTests {
    static let token = "maintenance-admin-token"

    /// An engine whose heartbeat file is never touched: after its startup grace it is UNHEALTHY, and its policy
    /// restarts it.
    static func start(_ directory: TempDirectory, receiver: WebhookReceiver) throws -> WardenProcess {
        _ = directory.write("admin-token", token)
        let beat = directory.write("beat", "")
        return try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]
                probes:
                  - {name: beat, heartbeat_file: {path: \(beat)}, interval: 200ms}
                health:
                  evaluate_every: 300ms
                  escalate_after: 1
                  startup_grace: 2s
                  thresholds: {heartbeat_age: {unhealthy: 1s}}
                remediation:
                  policies:
                    - {name: restart-when-silent, component: decisions, checks: [heartbeat_age], cooldown: 0s,
                       ladder: [{restart: {}}]}
            """, extra: """
            admin_token: {file: admin-token}
            alerts:
              group_window: 0s
              channels: [{name: hook, min_level: HEALTHY, webhook: {url: "\(receiver.url)"}}]
            """)
    }

    static func maintenance(_ warden: WardenProcess, _ method: String = "POST", query: String = "") async throws -> (status: Int, body: String) {
        let answer = try await http(warden.base + "/api/v1/engines/bot/maintenance" + query, method: method, token: token)
        return (answer.status, answer.body)
    }

    /// What was told of `kind`, since `since` when given.
    static func reasons(_ receiver: WebhookReceiver, _ kind: AlertEvent.Kind, since: Double = 0) -> [String] {
        receiver.deliveries.flatMap(\.payload.events).filter { $0.kind == kind && $0.at >= since }.map(\.reason)
    }

    @Test func maintenanceHoldsBackRemediationAndLevelAlertsAndSaysWhatItHeldBack() async throws {
        let receiver = try await WebhookReceiver(secret: "unused")
        let warden = try Self.start(TempDirectory(), receiver: receiver)
        try await warden.waitReady()
        let pid = try await warden.enginePid("bot")
        // A slow first spawn may be told ("restarting") before the maintenance begins: that is not held back.
        let beginning = Date().timeIntervalSince1970
        let begun = try await Self.maintenance(warden, query: "?reason=upgrading%20the%20bot")
        #expect(begun.status == 200, "\(begun.body)")
        try await eventually("the beginning is said") { Self.reasons(receiver, .maintenance).count == 1 }
        #expect(Self.reasons(receiver, .maintenance)[0].contains("maintenance begins (until ended by hand): upgrading the bot"))

        // Judged and shown, not acted on, not told.
        try await eventually("the silent engine is judged UNHEALTHY") {
            try await warden.status().engines[0].health.components["decisions"]?.level == .unhealthy
        }
        try await Task.sleep(for: .seconds(2))
        let status = try await warden.status().engines[0]
        #expect(status.pid == pid, "no policy restarted the engine")
        #expect(status.maintenance?.reason == "upgrading the bot")
        #expect((status.maintenance?.heldBackAlerts ?? 0) >= 1)
        #expect(Self.reasons(receiver, .transition, since: beginning).isEmpty,
                "no level was told: \(Self.reasons(receiver, .transition, since: beginning))")
        let metrics = try await warden.metrics()
        #expect(metric(metrics, #"warden_engine_maintenance{engine="bot"}"#) == 1)
        #expect(metric(metrics, #"warden_engine_restarts_total{engine="bot",reason="health"}"#) == 0)
        #expect(try await http(warden.base + "/").body.contains("In maintenance since"))

        // Ended by hand: what was held back is said, and the policy acts again.
        let ended = try await Self.maintenance(warden, "DELETE")
        #expect(ended.status == 200, "\(ended.body)")
        try await eventually("the end is said") { Self.reasons(receiver, .maintenance).count == 2 }
        #expect(Self.reasons(receiver, .maintenance)[1].contains("maintenance ended after"))
        #expect(Self.reasons(receiver, .maintenance)[1].contains("(upgrading the bot); held back"))
        try await eventually("the policy restarts the silent engine\n\(warden.log.suffix(3000))") {
            (metric(try await warden.metrics(), #"warden_engine_restarts_total{engine="bot",reason="health"}"#) ?? 0) >= 1
        }
        #expect(try await Self.maintenance(warden, "DELETE").status == 404, "no maintenance left to end")
    }

    @Test func maintenanceSurvivesARestartOfWardenAndExpiresByItself() async throws {
        let receiver = try await WebhookReceiver(secret: "unused")
        let directory = TempDirectory()
        var warden = try Self.start(directory, receiver: receiver)
        try await warden.waitReady()
        // Begun from the command line, as a person on the host would.
        let config = directory.file("warden.yml")
        let (status, output) = try runToEnd(productsDirectory + "/warden",
                                            ["maintenance", "--config", config, "bot", "--for", "6s", "--reason", "moving hosts"])
        #expect(status == 0, "\(output)")
        #expect(output.contains(#""reason":"moving hosts""#), "\(output)")
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)

        warden = try Self.start(directory, receiver: receiver)
        try await warden.waitReady()
        #expect(try await warden.status().engines[0].maintenance?.reason == "moving hosts", "restored from Warden's database")
        try await eventually("it expires by itself and says so") {
            Self.reasons(receiver, .maintenance).contains { $0.contains("maintenance expired") && $0.contains("moving hosts") }
        }
        #expect(metric(try await warden.metrics(), #"warden_engine_maintenance{engine="bot"}"#) == 0)
        let refused = try runToEnd(productsDirectory + "/warden", ["maintenance", "--config", config, "bot", "--for", "soon"])
        #expect(refused.status == 1 && refused.output.contains("invalid for"), "\(refused.output)")
    }
}
