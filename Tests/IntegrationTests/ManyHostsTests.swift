import Foundation
import Testing
@testable import WardenKit

/// The scale-out pattern of docs/scale-out.md, run for real: three engine hosts, each a Warden around its own
/// demo engine (all three engines named `demo`), behind one Prometheus with the generated rules and one
/// Alertmanager that routes each remediation by `instance` to its own Warden's webhook, with that Warden's
/// token. The configs are examples/many-hosts/, with only hosts, ports, paths and intervals changed.
struct ManyHostsTests {
    static let hosts = ["bot-1", "bot-2", "bot-3"]

    /// `text` with each pair replaced; a pair that matches nothing fails the test, so the example cannot drift
    /// away from what this test runs.
    static func substitute(_ text: String, _ pairs: [(String, String)]) -> String {
        pairs.reduce(text) { text, pair in
            #expect(text.contains(pair.0), "the example has \(pair.0)")
            return text.replacingOccurrences(of: pair.0, with: pair.1)
        }
    }

    /// The series an expression returned at any moment of the range, at Prometheus's finest step.
    static func queryRange(_ prometheus: String, _ expression: String, since start: Date) async throws -> [[String: Any]] {
        var components = URLComponents(string: prometheus + "/api/v1/query_range")!
        components.queryItems = [URLQueryItem(name: "query", value: expression),
                                 URLQueryItem(name: "start", value: String(start.timeIntervalSince1970 - 5)),
                                 URLQueryItem(name: "end", value: String(Date().timeIntervalSince1970)),
                                 URLQueryItem(name: "step", value: "1")]
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let body = try await http(components.url!.absoluteString).body
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        #expect(json?["status"] as? String == "success", "query_range \(expression): \(body)")
        return (json?["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
    }

    @Test func aFaultOnOneHostIsRemediatedByThatHostsWardenAlone() async throws {
        let started = Date()
        var demos: [DemoWarden] = []
        defer { demos.forEach { $0.stop() } }
        let directory = TempDirectory()
        for host in Self.hosts {
            // Each Warden its own token, in the file its Alertmanager receiver reads.
            let token = "token-of-\(host)-5c1"
            _ = directory.write("warden-\(host).token", token)
            demos.append(try await DemoWarden.start("manyHosts-\(host)", extra: "admin_token: {env: WARDEN_E2E_TOKEN}",
                                                    environment: ["WARDEN_E2E_TOKEN": token]))
        }
        let instances = demos.map { "127.0.0.1:\($0.warden.port)" }
        let (faulty, healthy) = (1, [0, 2])
        let hostPairs = zip(Self.hosts, instances).map { ("\($0):9780", $1) }

        // The rules as a user would write them for their own runbooks, with the default job selector.
        let runbooks = "https://runbooks.test/warden"
        let rules = directory.file("warden.rules.yml")
        _ = try runGenerator("alerts/generate.py", ["--runbook-base", runbooks, "--output", rules])
        let (alertmanagerPort, prometheusPort) = (freePort(), freePort())
        let alertmanagerConfig = directory.write("alertmanager.yml", Self.substitute(
            try DocumentationTests.read("examples/many-hosts/alertmanager.yml"),
            hostPairs + [("/etc/alertmanager/", directory.path + "/")]))
        let prometheusConfig = directory.write("prometheus.yml", Self.substitute(
            try DocumentationTests.read("examples/many-hosts/prometheus.yml"), hostPairs + [
                ("scrape_interval: 15s", "scrape_interval: 1s"), ("evaluation_interval: 15s", "evaluation_interval: 1s"),
                ("scrape_interval: 5s", "scrape_interval: 1s"),
                ("../../alerts/warden.rules.yml", rules),
                (#""alertmanager-1:9093", "alertmanager-2:9093""#, "\"127.0.0.1:\(alertmanagerPort)\""),
            ]))
        let monitoring = try await EndToEndTests.startPrometheusAndAlertmanager(
            directory, prometheusConfig: prometheusConfig, prometheusPort: prometheusPort,
            alertmanagerConfig: alertmanagerConfig, alertmanagerPort: alertmanagerPort)
        defer { withExtendedLifetime(directory) { monitoring.stop() } }   // the servers' data and configs are in it
        let prom = monitoring.url
        try await eventually(timeout: .seconds(30), "Prometheus scrapes all three Wardens") {
            (try await EndToEndTests.query(prom, #"warden_engine_up{job="warden",engine="demo"} == 1"#)).count == 3
        }
        var pids: [Int32?] = []
        for demo in demos { pids.append(try await demo.warden.enginePid("demo")) }
        let target = instances[faulty]
        try await eventually(timeout: .seconds(30), "Prometheus sees \(target)'s live feed first") {
            !(try await EndToEndTests.query(prom, "warden_websocket_lag_seconds{instance=\"\(target)\"} < 3")).isEmpty
        }

        try await demos[faulty].fault("stale_ws")
        try await eventually(timeout: .seconds(30), "the alert is pending for \(target)") {
            try await EndToEndTests.alerts(prom, "WardenWebSocketStale").contains { $0.labels["instance"] == target }
        }
        var fired: EndToEndTests.Alert?
        try await eventually(timeout: .seconds(60), "the alert fires for \(target)") {
            fired = try await EndToEndTests.alerts(prom, "WardenWebSocketStale").first { $0.state == "firing" }
            return fired != nil
        }
        #expect(fired?.labels["instance"] == target && fired?.labels["engine"] == "demo")
        let others = try await EndToEndTests.alerts(prom, "WardenWebSocketStale").filter { $0.labels["instance"] != target }
        #expect(others.isEmpty, "no other host's market data is stale: \(others.map(\.labels))")
        #expect(fired?.annotations["summary"]?.hasPrefix(target + ": ") == true, "the summary names the host")
        #expect(fired?.annotations["runbook_url"] == runbooks + "/docs/RUNBOOK.md#wardenwebsocketstale")

        let restart = try await demos[faulty].waitForAction("restart", .success, timeout: .seconds(60))
        #expect(restart.source == "alertmanager WardenWebSocketStale", "Alertmanager asked \(target)'s Warden")
        #expect(try await demos[faulty].warden.enginePid("demo") != pids[faulty])
        try await demos[faulty].waitFor("websocket", .healthy, timeout: .seconds(60))
        // Resolution comes after every notification of the firing alert went out: a misrouted one has landed.
        try await eventually(timeout: .seconds(60), "the alert resolves") {
            try await EndToEndTests.alerts(prom, "WardenWebSocketStale").isEmpty
        }

        let faultyMetrics = try await demos[faulty].warden.metrics()
        #expect(metric(faultyMetrics, #"warden_engine_restarts_total{engine="demo",reason="remediation"}"#) == 1)
        #expect(metric(faultyMetrics, #"warden_remediations_total{engine="demo",action="restart",result="success"}"#) == 1)
        for index in healthy {
            let demo = demos[index]
            let audit = try await demo.engine().remediation.recent
            #expect(audit.isEmpty, "\(instances[index]) recorded no action: \(audit)")
            #expect(try await demo.warden.enginePid("demo") == pids[index], "\(instances[index]) kept its engine")
            let metrics = try await demo.warden.metrics()
            #expect(metric(metrics, #"warden_engine_restarts_total{engine="demo",reason="remediation"}"#) == 0)
            #expect(metric(metrics, #"warden_remediations_total{engine="demo",action="restart",result="success"}"#) == 0)
        }

        // The dashboard's annotations, as Grafana would ask for one instance: the restart and the level
        // changes on the faulty host, no restart on the others.
        let dashboard = try DashboardTests.dashboard()
        let annotations = (dashboard["annotations"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
        func expression(_ name: String, _ instance: String) throws -> String {
            let expr = try #require(annotations.first { $0["name"] as? String == name }?["expr"] as? String)
            return expr.replacingOccurrences(of: "$instance", with: instance).replacingOccurrences(of: "$engine", with: ".*")
        }
        let restarts = try await Self.queryRange(prom, try expression("Engine restarts", target), since: started)
        #expect(restarts.compactMap { ($0["metric"] as? [String: String])?["reason"] } == ["remediation"])
        let changes = try await Self.queryRange(prom, try expression("Health changes", target), since: started)
        #expect(changes.contains { ($0["metric"] as? [String: String])?["component"] == "websocket" })
        for index in healthy {
            #expect(try await Self.queryRange(prom, try expression("Engine restarts", instances[index]), since: started).isEmpty)
        }
    }
}
