import Foundation
import GRDB
import Testing
@testable import WardenKit

/// Warden SIGKILLed at random moments while it alerts, remediates and writes, twenty times over: nothing is
/// lost, nothing is done twice.
@Suite(.serialized)
struct KillChaosTests {
    /// An engine that beats for 0.3 s and then hangs, so that Warden is always about to act: its policy first
    /// runs an exec (which records the incident) and then restarts it. Each life of Warden also queues one
    /// numbered test alert. Whatever moment the SIGKILL hits, after the last restart: every numbered alert
    /// arrived on both channels, in order, and a webhook sent twice kept its id; no incident's exec ran twice;
    /// no engine outlived its Warden; the database passes `PRAGMA integrity_check`.
    @Test func twentySIGKILLsLoseNoAlertRepeatNoActionAndLeaveNoEngine() async throws {
        let fake = try await FakeTelegram(token: AlertOutboxBinaryTests.botToken)
        let receiver = try await WebhookReceiver(secret: AlertOutboxBinaryTests.webhookSecret)
        let directory = TempDirectory()
        _ = directory.write("webhook.secret", AlertOutboxBinaryTests.webhookSecret)
        let environment = AlertOutboxBinaryTests.environment
        let extra = AlertOutboxBinaryTests.config(telegram: fake, webhook: receiver)
            + "\nremediation: {budget: {max: 1000, window: 1h}}"
        let engines = """
              - name: bot
                command: [sh, -c, "trap 'exit 0' TERM; i=0; while [ $i -lt 3 ]; do touch heartbeat; sleep 0.1; i=$((i+1)); done; while true; do sleep 1; done"]
                restart: {initial_backoff: 0s, budget: 1000, budget_window: 1h}
                stop: {signal: SIGTERM, grace_period: 2s}
                probes:
                  - {name: beat, heartbeat_file: {path: heartbeat}, interval: 100ms}
                health: {evaluate_every: 200ms, escalate_after: 1, recover_after: 1, startup_grace: 0s,
                         thresholds: {heartbeat_age: {unhealthy: 500ms}}}
                remediation:
                  policies:
                    - name: record-then-restart
                      component: decisions
                      cooldown: 0s
                      budget: {max: 1000, window: 1h}
                      ladder:
                        - {exec: {command: [sh, -c, "echo $WARDEN_INCIDENT_ID >> incidents.log"]}, verify_after: 1}
                        - {restart: {}}
            """
        let lives = 20
        var enginePids: [Int32] = []
        for life in 0..<lives {
            let warden = try WardenProcess(directory: directory, engines: engines, extra: extra, environment: environment)
            try await warden.waitReady()
            let queued = try await http(warden.base + "/api/v1/alerts/test?text=life-\(life)", method: "POST",
                                        token: AlertOutboxBinaryTests.adminToken)
            #expect(queued.status == 202)
            try await Task.sleep(for: .milliseconds(Int.random(in: 200...2500)))
            if let pid = try? await warden.enginePid("bot") { enginePids.append(pid) }
            warden.signal(SIGKILL)
            _ = try await warden.waitExit()
            try await eventually("no engine outlives Warden's SIGKILL (life \(life))") { enginePids.allSatisfy(isGone) }
        }

        let last = try WardenProcess(directory: directory, engines: engines, extra: extra, environment: environment)
        try await last.waitReady()
        let expected = (0..<lives).map { "life-\($0)" }
        func numbered(_ texts: [String]) -> [String] { texts.compactMap { $0.firstMatch(of: #/life-\d+/#).map { String($0.output) } } }
        try await eventually(timeout: .seconds(60), "every numbered alert arrives on both channels") {
            Set(numbered(fake.messages.map(\.text))).count == lives
                && Set(numbered(receiver.deliveries.flatMap { $0.payload.events.map(\.reason) })).count == lives
        }
        last.signal(SIGTERM)
        #expect(try await last.waitExit() == 0)

        let telegram = numbered(fake.messages.map(\.text))
        #expect(telegram.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } } == expected, "first arrivals in order")
        // Telegram has no idempotency key: a message acknowledged by the Bot API a moment before the SIGKILL,
        // but not yet marked delivered, goes again. Webhooks carry the same id when resent, for receivers to drop.
        #expect(telegram.count - lives <= 2, "resent only when killed between the answer and its record: \(telegram)")
        var ids: [String: String] = [:]
        for delivery in receiver.deliveries {
            for text in numbered(delivery.payload.events.map(\.reason)) {
                #expect(ids[text, default: delivery.id] == delivery.id, "\(text) resent under a new webhook-id")
                ids[text] = delivery.id
            }
        }
        let incidents = (directory.read("incidents.log") ?? "").split(separator: "\n")
        #expect(incidents.count >= lives / 2, "the policy acted through the lives: \(incidents.count) incidents")
        #expect(Set(incidents).count == incidents.count, "an incident's exec ran twice: \(incidents)")
        let database = try DatabaseQueue(path: directory.file("state/warden.sqlite"),
                                         configuration: { var c = Configuration(); c.readonly = true; return c }())
        let integrity = try await database.read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        #expect(integrity == "ok")
    }
}
