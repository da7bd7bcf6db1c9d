import Foundation
import Logging
import Testing
@testable import WardenKit

/// `POST /api/v1/alertmanager` with Alertmanager's own webhook payloads (version 4).
struct AlertmanagerReceiverTests {
    static let token = "am-test-token-4f1c"

    /// A notification as Alertmanager 0.27 sends it to a webhook receiver.
    static func payload(alertname: String = "WardenWebSocketStale", status: String = "firing", engine: String = "demo",
                        fingerprint: String = "5e1b9f0c7a2d4e36", startsAt: String = "2026-11-21T06:50:00.000Z") -> String {
        """
        {"version":"4","groupKey":"{}/{severity=\\"critical\\"}:{alertname=\\"\(alertname)\\"}","truncatedAlerts":0,
         "status":"\(status)","receiver":"warden","groupLabels":{"alertname":"\(alertname)"},
         "commonLabels":{"alertname":"\(alertname)","engine":"\(engine)","job":"warden","severity":"critical"},
         "commonAnnotations":{"summary":"market data stale on \(engine)"},"externalURL":"http://127.0.0.1:9093",
         "alerts":[{"status":"\(status)","labels":{"alertname":"\(alertname)","engine":"\(engine)","job":"warden",
                    "severity":"critical","stream":"market"},
                    "annotations":{"summary":"market data stale on \(engine)","runbook_url":"https://example.invalid/runbook"},
                    "startsAt":"\(startsAt)","endsAt":"0001-01-01T00:00:00Z",
                    "generatorURL":"http://127.0.0.1:9090/graph?g0.expr=warden_websocket_lag_seconds+%3E+60",
                    "fingerprint":"\(fingerprint)"}]}
        """
    }

    static func post(_ demo: DemoWarden, _ body: String, token: String? = token) async throws -> HTTPResult {
        try await http(demo.warden.base + "/api/v1/alertmanager", method: "POST", token: token, body: body)
    }

    static func start(_ name: String = #function) async throws -> DemoWarden {
        try await DemoWarden.start(name, extra: "admin_token: {env: WARDEN_TEST_ADMIN_TOKEN}",
                                   environment: ["WARDEN_TEST_ADMIN_TOKEN": token])
    }

    @Test func aMappedAlertRestartsTheEngineOnceWhateverTheRedeliveries() async throws {
        let demo = try await Self.start()
        defer { demo.stop() }
        try await demo.waitFor("process", .healthy)
        let pid = try #require(try await demo.warden.enginePid("demo"))

        let first = try await Self.post(demo, Self.payload())
        #expect(first.status == 200)
        #expect(first.body == #"{"acted":1,"duplicates":0,"ignored":0}"#)
        // Alertmanager retries and repeats: the same alert (fingerprint and start) never acts twice.
        for _ in 0..<3 {
            let again = try await Self.post(demo, Self.payload())
            #expect(again.body == #"{"acted":0,"duplicates":1,"ignored":0}"#)
        }
        let restart = try await demo.waitForAction("restart", .success)
        #expect(restart.source == "alertmanager WardenWebSocketStale" && restart.reason == "market data stale on demo")
        #expect(try await demo.warden.enginePid("demo") != pid)
        try await Task.sleep(for: .milliseconds(500))
        let metrics = try await demo.warden.metrics()
        #expect(metric(metrics, "warden_engine_restarts_total{engine=\"demo\",reason=\"remediation\"}") == 1)
        #expect(metric(metrics, "warden_remediations_total{engine=\"demo\",action=\"restart\",result=\"success\"}") == 1)

        // A new firing of the same alert (a new start) within the cooldown is audited, not acted on.
        let refire = try await Self.post(demo, Self.payload(startsAt: "2026-11-21T06:55:00.000Z"))
        #expect(refire.body == #"{"acted":0,"duplicates":0,"ignored":1}"#)
        let held = try await demo.waitForAction("restart", .suppressed)
        #expect(held.detail?.hasPrefix("cooldown") == true)
    }

    @Test func unknownAndResolvedAlertsAreAuditedNotActedOn() async throws {
        let demo = try await Self.start()
        defer { demo.stop() }
        let pid = try await demo.warden.enginePid("demo")
        #expect(try await Self.post(demo, Self.payload(alertname: "SomethingElse", fingerprint: "0a0a0a0a0a0a0a0a")).body == #"{"acted":0,"duplicates":0,"ignored":1}"#)
        let unmapped = try await demo.waitForAction("none", .skipped)
        #expect(unmapped.detail == "no mapping for alert SomethingElse")
        #expect(try await Self.post(demo, Self.payload(status: "resolved")).body == #"{"acted":0,"duplicates":0,"ignored":1}"#)
        #expect(try await Self.post(demo, Self.payload(engine: "ghost", fingerprint: "0b0b0b0b0b0b0b0b")).body == #"{"acted":0,"duplicates":0,"ignored":1}"#)
        #expect(demo.warden.log.contains("no engine named ghost"))
        #expect(try await demo.warden.enginePid("demo") == pid)
    }

    @Test func theTokenIsRequiredAndBadPayloadsAreNamed() async throws {
        let demo = try await Self.start()
        defer { demo.stop() }
        for token in [nil, "wrong"] {
            let refused = try await Self.post(demo, Self.payload(), token: token)
            #expect(refused.status == 401 && refused.body == #"{"error":"unauthorized"}"#)
        }
        let cases: [(body: String, field: String)] = [
            ("{not json", ""),
            (#"{"version":"3","alerts":[]}"#, "/version"),
            (#"{"version":"4"}"#, "/alerts"),
            (#"{"version":"4","alerts":[{"status":"firing","labels":{},"startsAt":"2026-11-21T06:50:00Z"}]}"#,
             "/alerts/0/labels/alertname"),
            (#"{"version":"4","alerts":[{"status":"burning","labels":{"alertname":"x"},"startsAt":"x"}]}"#, "/alerts/0/status"),
            (#"{"version":"4","alerts":[{"status":"firing","labels":{"alertname":"x","n":1},"startsAt":"x"}]}"#,
             "/alerts/0/labels/n"),
        ]
        for (body, field) in cases {
            let response = try await Self.post(demo, body)
            #expect(response.status == 400, "\(body)")
            let answer = try JSONDecoder().decode([String: String].self, from: Data(response.body.utf8))
            #expect(answer["field"] == field && answer["message"]?.isEmpty == false, "\(body) → \(response.body)")
        }
        let huge = try await Self.post(demo, String(repeating: " ", count: 2 << 20))
        #expect(huge.status == 413)
    }
}

/// The receiver in-process, against a real store: mappings that act on resolved alerts, and the 403 a Warden
/// without an admin token gives.
struct AlertmanagerReceiverMappingTests {
    @Test func aMappingWithOnResolvedActsWhenTheAlertResolves() async throws {
        let directory = TempDirectory()
        let config = try ConfigLoader().parse("""
            state_dir: state
            engines:
              - name: bot
                command: [sh, -c, "exit 0"]
                remediation:
                  alertmanager:
                    - {alertname: WardenEngineDown, on_resolved: true, cooldown: 0s,
                       action: {exec: {command: [sh, -c, "echo $WARDEN_REASON >> resolved.log"]}}}
            """, file: "warden.yml", baseDirectory: directory.path)
        try FileManager.default.createDirectory(atPath: config.stateDirectory, withIntermediateDirectories: true)
        let store = try WardenStore(path: config.stateDirectory + "/warden.sqlite", logger: Logger(label: "test"))
        let board = StatusBoard(engines: config.engines)
        let remediator = Remediator(board: board, store: store, supervisor: { _ in nil }, settings: config.remediation,
                                    environment: ["PATH": "/usr/bin:/bin"], logger: Logger(label: "test"))
        let receiver = AlertmanagerReceiver(engines: config.engines, remediator: remediator, logger: Logger(label: "test"))
        let resolved = ReceivedAlert(status: "resolved", labels: ["alertname": "WardenEngineDown"],
                                     annotations: ["summary": "bot is back"], startsAt: "2026-11-21T06:00:00Z", fingerprint: "f1")
        #expect(await receiver.receive([resolved]) == .init(acted: 1, duplicates: 0, ignored: 0), "the only engine is meant")
        #expect(await receiver.receive([resolved]) == .init(acted: 0, duplicates: 1, ignored: 0))
        try await eventually("the mapped action ran") { directory.read("resolved.log") == "bot is back\n" }
        try await eventually("and was audited") {
            (try store.recentAudit(engine: "bot")).first?.result == .success
        }
    }

    @Test func withoutAnAdminTokenTheReceiverIsClosed() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "exec sleep 60"]
                remediation:
                  alertmanager: [{alertname: X, action: {restart: {}}}]
            """)
        try await warden.waitReady()
        let response = try await http(warden.base + "/api/v1/alertmanager", method: "POST",
                                      body: AlertmanagerReceiverTests.payload(engine: "bot"))
        #expect(response.status == 403)
        #expect(response.body.contains("no admin token is configured"))
    }
}
