import Foundation
import HummingbirdBcrypt
import Testing
@testable import WardenKit

/// The whole path users run: the demo behind a real Prometheus (Debian's package) with alerts/warden.rules.yml
/// and a real Alertmanager routed to Warden's receiver. A fault Warden's own policies leave alone (a stale
/// WebSocket) is fixed only through Alertmanager; the dashboard's every expression has data.
struct EndToEndTests {
    /// A server process from Debian's packages, stopped however the test ends: SIGTERM, SIGKILL after 5 s, and
    /// the kernel's parent-death signal should the test runner itself die.
    final class Server {
        let process = Process()
        let log: String

        init(_ executable: String, _ arguments: [String], log: String) throws {
            self.log = log
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--pdeathsig", "KILL", "--", executable] + arguments
            let handle = FileHandle(forWritingAtPath: log)
            process.standardOutput = handle
            process.standardError = handle
            try process.run()   // CI installs prometheus and prometheus-alertmanager: missing is a failure
        }

        var output: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }

        deinit { stop() }
    }

    /// A Prometheus and its Alertmanager, running.
    struct Monitoring {
        let prometheus: Server
        let alertmanager: Server
        /// Prometheus's base URL.
        let url: String

        func stop() {
            prometheus.stop()
            alertmanager.stop()
        }
    }

    /// Alertmanager (its cluster port off) and Prometheus on loopback with these config files, their data in
    /// `directory`, once both answer /-/ready. Each stops when its `Server` is released.
    static func startPrometheusAndAlertmanager(_ directory: TempDirectory, prometheusConfig: String, prometheusPort: Int,
                                               alertmanagerConfig: String, alertmanagerPort: Int) async throws -> Monitoring {
        let alertmanager = try Server("/usr/bin/prometheus-alertmanager", [
            "--config.file=\(alertmanagerConfig)", "--storage.path=\(directory.file("am-data"))",
            "--web.listen-address=127.0.0.1:\(alertmanagerPort)", "--cluster.listen-address=",
        ], log: directory.file("alertmanager.log"))
        let prometheus = try Server("/usr/bin/prometheus", [
            "--config.file=\(prometheusConfig)", "--storage.tsdb.path=\(directory.file("prom-data"))",
            "--web.listen-address=127.0.0.1:\(prometheusPort)",
        ], log: directory.file("prometheus.log"))
        try await eventually(timeout: .seconds(30), "Prometheus and Alertmanager are ready\n\(prometheus.output.suffix(2000))\n\(alertmanager.output.suffix(2000))") {
            let promReady = (try? await http("http://127.0.0.1:\(prometheusPort)/-/ready").status) == 200
            let amReady = (try? await http("http://127.0.0.1:\(alertmanagerPort)/-/ready").status) == 200
            return promReady && amReady
        }
        return Monitoring(prometheus: prometheus, alertmanager: alertmanager, url: "http://127.0.0.1:\(prometheusPort)")
    }

    static func query(_ prometheus: String, _ expression: String) async throws -> [[String: Any]] {
        var components = URLComponents(string: prometheus + "/api/v1/query")!
        components.queryItems = [URLQueryItem(name: "query", value: expression)]
        // URLComponents leaves "+" alone, which Prometheus would read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let body = try await http(components.url!.absoluteString).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        if json?["status"] as? String != "success" { Issue.record("query \(expression) failed: \(body)") }
        return (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
    }

    /// An alert as Prometheus's /api/v1/alerts shows it (pending or firing).
    struct Alert {
        let labels: [String: String]
        let annotations: [String: String]
        let state: String?
    }

    static func alerts(_ prometheus: String, _ name: String) async throws -> [Alert] {
        let body = try await http(prometheus + "/api/v1/alerts").body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let alerts = (json?["data"] as? [String: Any])?["alerts"] as? [[String: Any]] ?? []
        return alerts.map { alert in
            Alert(labels: alert["labels"] as? [String: String] ?? [:], annotations: alert["annotations"] as? [String: String] ?? [:],
                  state: alert["state"] as? String)
        }.filter { $0.labels["alertname"] == name }
    }

    static func alertState(_ prometheus: String, _ name: String) async throws -> String? {
        try await alerts(prometheus, name).first?.state
    }

    @Test func alertmanagerFixesAStaleWebSocketAndEveryDashboardQueryHasData() async throws {
        let token = "e2e-admin-token-7f3"
        let demo = try await DemoWarden.start(extra: "admin_token: {env: WARDEN_E2E_TOKEN}",
                                              environment: ["WARDEN_E2E_TOKEN": token])
        defer { demo.stop() }
        let directory = demo.directory
        let root = DocumentationTests.root
        let wardenTarget = demo.warden.base.replacingOccurrences(of: "http://", with: "")
        let (alertmanagerPort, prometheusPort) = (freePort(), freePort())
        _ = directory.write("am-token", token)
        let alertmanagerConfig = directory.write("alertmanager.yml", """
            route:
              receiver: warden
              group_by: [alertname, engine]
              group_wait: 0s
              group_interval: 1s
              repeat_interval: 1h
            receivers:
              - name: warden
                webhook_configs:
                  - url: \(demo.warden.base)/api/v1/alertmanager
                    send_resolved: true
                    http_config:
                      authorization: {type: Bearer, credentials_file: \(directory.file("am-token"))}
            """)
        let prometheusConfig = directory.write("prometheus.yml", """
            global: {scrape_interval: 1s, evaluation_interval: 1s}
            rule_files: ["\(root)/alerts/warden.rules.yml"]
            alerting:
              alertmanagers: [{static_configs: [{targets: ["127.0.0.1:\(alertmanagerPort)"]}]}]
            scrape_configs:
              - job_name: warden
                static_configs: [{targets: ["\(wardenTarget)"]}]
            """)
        let monitoring = try await Self.startPrometheusAndAlertmanager(
            directory, prometheusConfig: prometheusConfig, prometheusPort: prometheusPort,
            alertmanagerConfig: alertmanagerConfig, alertmanagerPort: alertmanagerPort)
        defer { monitoring.stop() }
        let prom = monitoring.url
        try await eventually(timeout: .seconds(30), "Prometheus scrapes the demo") {
            (try await Self.query(prom, "warden_engine_up{engine=\"demo\"} == 1")).count == 1
        }
        let pid = try await demo.warden.enginePid("demo")
        try await eventually(timeout: .seconds(30), "Prometheus sees a live feed first") {
            !(try await Self.query(prom, "warden_websocket_lag_seconds{engine=\"demo\"} < 3")).isEmpty
        }

        try await demo.fault("stale_ws")
        try await eventually(timeout: .seconds(30), "Prometheus sees the WebSocket lag grow") {
            !(try await Self.query(prom, "warden_websocket_lag_seconds{engine=\"demo\"} > 5")).isEmpty
        }
        try await eventually(timeout: .seconds(30), "the alert is pending") {
            try await Self.alertState(prom, "WardenWebSocketStale") == "pending"
        }
        try await eventually(timeout: .seconds(60), "the alert fires") {
            try await Self.alertState(prom, "WardenWebSocketStale") == "firing"
        }
        let restart = try await demo.waitForAction("restart", .success, timeout: .seconds(60))
        #expect(restart.source == "alertmanager WardenWebSocketStale", "Alertmanager asked, Warden restarted")
        #expect(try await demo.warden.enginePid("demo") != pid)
        try await demo.waitFor("websocket", .healthy, timeout: .seconds(60))
        try await eventually(timeout: .seconds(60), "the alert resolves") {
            try await Self.alertState(prom, "WardenWebSocketStale") == nil
        }
        let metrics = try await demo.warden.metrics()
        #expect(metric(metrics, "warden_engine_restarts_total{engine=\"demo\",reason=\"remediation\"}") == 1)
        #expect(metric(metrics, "warden_engine_restarts_total{engine=\"demo\",reason=\"health\"}") == 0,
                "no policy of Warden's acted on the stale feed")

        // Every expression of every panel returns data from this Prometheus.
        let dashboard = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/dashboards/warden.json")))
            as? [String: Any]
        let expressions = (dashboard?["panels"] as? [[String: Any]] ?? []).flatMap { panel in
            (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        #expect(expressions.count >= 30)
        for expression in expressions {
            let concrete = expression.replacingOccurrences(of: "$engine", with: ".*").replacingOccurrences(of: "$instance", with: ".*")
                .replacingOccurrences(of: "$__rate_interval", with: "1m")
            #expect(!(try await Self.query(prom, concrete)).isEmpty, "no series for \(expression)")
        }

        // The same run: the rules pass promtool, and a live scrape passes promtool check metrics.
        for arguments in [["check", "rules", "alerts/warden.rules.yml"], ["test", "rules", "alerts/warden.rules.test.yml"]] {
            let (status, output) = try runToEnd("/usr/bin/promtool", arguments, in: root)
            #expect(status == 0, "promtool \(arguments.joined(separator: " ")): \(output)")
        }
        let scrape = directory.write("scrape.txt", try await demo.warden.metrics())
        let (status, output) = try runToEnd("/bin/sh", ["-c", "/usr/bin/promtool check metrics < \"$0\"", scrape])
        #expect(status == 0 && output.isEmpty, "promtool check metrics: \(output)")
        #expect(monitoring.alertmanager.output.contains("Listening") || monitoring.alertmanager.process.isRunning)
    }

    /// examples/prometheus.yml's `warden-remote` job, for real: Prometheus scrapes Warden over HTTPS (a
    /// self-signed certificate as its CA) with a Basic auth user, and the target is up; a job without the
    /// password is refused, so the `up` is the credentials' doing.
    @Test func prometheusScrapesWardenOverTLSWithBasicAuth() async throws {
        let directory = TempDirectory()
        let server = try selfSignedCertificate(in: directory, name: "warden")
        let password = "prom-\(UUID().uuidString.prefix(12))"
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper, extra: """
            web:
              tls: {cert_file: warden.pem, key_file: warden.key}
              basic_auth_users: {prometheus: "\(Bcrypt.hash(password, cost: 4))"}
            """)
        _ = directory.write("password", password + "\n")
        let prometheusPort = freePort()
        let prometheusConfig = directory.write("prometheus.yml", """
            global: {scrape_interval: 1s}
            scrape_configs:
              - job_name: warden-remote
                scheme: https
                tls_config: {ca_file: \(server.cert)}
                basic_auth: {username: prometheus, password_file: \(directory.file("password"))}
                static_configs: [{targets: ["127.0.0.1:\(warden.port)"]}]
              - job_name: warden-without-password
                scheme: https
                tls_config: {ca_file: \(server.cert)}
                static_configs: [{targets: ["127.0.0.1:\(warden.port)"]}]
            """)
        let prometheus = try Server("/usr/bin/prometheus", [
            "--config.file=\(prometheusConfig)", "--storage.tsdb.path=\(directory.file("prom-data"))",
            "--web.listen-address=127.0.0.1:\(prometheusPort)",
        ], log: directory.file("prometheus.log"))
        defer { prometheus.stop() }
        let prom = "http://127.0.0.1:\(prometheusPort)"
        try await eventually(timeout: .seconds(30), "Prometheus scrapes Warden over TLS with basic auth\n\(prometheus.output.suffix(2000))\n\(warden.log)") {
            (try? await Self.query(prom, "up{job=\"warden-remote\"} == 1"))?.count == 1
        }
        #expect(try await Self.query(prom, "warden_engine_up{job=\"warden-remote\",engine=\"bot\"} == 1").count == 1)
        try await eventually(timeout: .seconds(30), "the job without a password is scraped and refused") {
            (try? await Self.query(prom, "up{job=\"warden-without-password\"} == 0"))?.count == 1
        }
        #expect(!warden.log.contains(password))
    }
}
