import Foundation
import Testing
@testable import WardenKit

/// The outbox of a real `warden` process: nothing lost or repeated across a SIGKILL, and no secret anywhere.
struct AlertOutboxBinaryTests {
    static let botToken = "7766554433:AAH-distinctive-bot-token-q9z"
    static let webhookSecret = "whsec_ZGlzdGluY3RpdmUtd2ViaG9vay1zZWNyZXQtMTIz"
    static let adminToken = "admin-distinctive-token-5k2"
    static let environment = ["WARDEN_TEST_ADMIN": adminToken, "WARDEN_TEST_BOT": botToken]

    /// The admin token and both channels, at once (no grouping); the webhook's secret in `webhook.secret`
    /// unless another source is given.
    static func config(telegram fake: FakeTelegram, webhook receiver: WebhookReceiver,
                       webhookSecret: String = "{file: webhook.secret}") -> String {
        """
        admin_token: {env: WARDEN_TEST_ADMIN}
        alerts:
          group_window: 0s
          channels:
            - name: tg
              telegram: {bot_token: {env: WARDEN_TEST_BOT}, chat_id: "-1001", api_url: "\(fake.url)", min_interval: 0s}
            - name: hook
              webhook: {url: "\(receiver.url)", secret: \(webhookSecret)}
        """
    }

    /// With one Warden per host, a person reading any channel can tell which host speaks.
    @Test func everyChannelNamesTheInstance() async throws {
        let fake = try await FakeTelegram(token: Self.botToken)
        let receiver = try await WebhookReceiver(secret: Self.webhookSecret)
        let directory = TempDirectory()
        _ = directory.write("webhook.secret", Self.webhookSecret + "\n")
        let extra = "instance: desk-7\n" + Self.config(telegram: fake, webhook: receiver) + """

                - name: log
                  log: {}
            """
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper, extra: extra,
                                       environment: Self.environment)
        try await warden.waitReady()
        #expect(try await http(warden.base + "/api/v1/alerts/test?text=hello", method: "POST", token: Self.adminToken).status == 202)
        try await eventually("every channel has the message") {
            !fake.messages.isEmpty && !receiver.deliveries.isEmpty && warden.log.contains("alert: desk-7")
        }
        #expect(fake.messages[0].text.contains("Warden test message desk-7"), "\(fake.messages[0].text)")
        #expect(receiver.deliveries[0].payload.instance == "desk-7")
        #expect(warden.log.contains("alert: desk-7 test: hello"))
        #expect(try await warden.status().instance == "desk-7")
        #expect(try await http(warden.base + "/").body.contains("<h1>Warden · desk-7</h1>"))
        #expect(metric(try await warden.metrics(), #"warden_build_info{version="\#(WardenVersion.current)",revision="\#(WardenVersion.revision)",instance_name="desk-7"}"#) == 1)
    }

    @Test func fiftyQueuedAlertsSurviveASIGKILLAndArriveOnceInOrderWithoutASecretInSight() async throws {
        let fake = try await FakeTelegram(token: Self.botToken)
        let receiver = try await WebhookReceiver(secret: Self.webhookSecret)
        fake.set(.down)
        receiver.answer(with: 503)
        let directory = TempDirectory()
        _ = directory.write("webhook.secret", Self.webhookSecret + "\n")
        let extra = Self.config(telegram: fake, webhook: receiver)
        let environment = Self.environment
        let engines = """
              - name: bot
                command: ["/bin/sh", "-c", "exec sleep 600"]
            """
        var warden = try WardenProcess(directory: directory, engines: engines, extra: extra, environment: environment)
        try await warden.waitReady()
        for index in 0..<50 {
            let queued = try await http(warden.base + "/api/v1/alerts/test?text=alert-\(index)", method: "POST",
                                        token: Self.adminToken)
            #expect(queued.status == 202)
        }
        try await eventually("50 alerts wait for each channel") {
            let alerts = try await warden.status().alerts
            return alerts?["tg"]?.queued == 50 && alerts?["hook"]?.queued == 50
        }
        var seen = [try await warden.metrics(), try await http(warden.base + "/api/v1/status").body]
        #expect(metric(seen[0], "warden_alert_queue_depth{channel=\"tg\"}") == 50)
        warden.signal(SIGKILL)
        _ = try await warden.waitExit()
        seen.append(warden.log)

        fake.set(.ok)
        receiver.answer(with: 200)
        warden = try WardenProcess(directory: directory, engines: engines, extra: extra, environment: environment)
        try await warden.waitReady()
        try await eventually(timeout: .seconds(30), "everything queued is delivered after the restart") {
            fake.messages.count >= 50 && receiver.deliveries.count >= 50
        }
        try await Task.sleep(for: .milliseconds(500))
        let expected = (0..<50).map { "alert-\($0)" }
        #expect(fake.messages.compactMap { $0.text.split(separator: "\n").dropFirst().first.map(String.init) } == expected,
                "each once, in order")
        #expect(receiver.deliveries.map { $0.payload.events[0].reason } == expected)
        #expect(receiver.deliveries.allSatisfy { $0.signatureValid })
        let metrics = try await warden.metrics()
        #expect(metric(metrics, "warden_alerts_total{channel=\"tg\",result=\"delivered\"}") == 50)
        #expect(metric(metrics, "warden_alert_queue_depth{channel=\"hook\"}") == 0)
        #expect(metric(metrics, "warden_alert_delivery_latency_seconds_count{channel=\"tg\"}") == 50)

        seen += [metrics, try await http(warden.base + "/api/v1/status").body, warden.log]
        seen += fake.messages.map(\.text) + receiver.deliveries.map { String(decoding: $0.payload.encoded(), as: UTF8.self) }
        for secret in [Self.botToken, Self.webhookSecret, Self.adminToken, "ZGlzdGluY3RpdmUtd2ViaG9vay1zZWNyZXQtMTIz"] {
            #expect(!seen.contains { $0.contains(secret) }, "a secret leaked")
        }
    }
}
