import Foundation
import Testing
@testable import WardenKit

/// dashboards/warden.json as Grafana users import it: through the UI or file provisioning, on any Prometheus
/// data source, with the `engine` filter, and with counters read as rates.
struct DashboardTests {
    static func dashboard() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: DocumentationTests.root + "/dashboards/warden.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    @Test func variablesAndPanelsFollowTheRules() throws {
        let dashboard = try Self.dashboard()
        let variables = ((dashboard["templating"] as? [String: Any])?["list"] as? [[String: Any]]) ?? []
        let datasource = try #require(variables.first { $0["name"] as? String == "datasource" })
        #expect(datasource["type"] as? String == "datasource" && datasource["query"] as? String == "prometheus")
        let engine = try #require(variables.first { $0["name"] as? String == "engine" })
        #expect(engine["multi"] as? Bool == true && engine["definition"] as? String == "label_values(warden_engine_up, engine)")
        #expect(dashboard["__inputs"] == nil, "no import-time inputs: file provisioning would not resolve them")

        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        let rows = panels.filter { $0["type"] as? String == "row" }.compactMap { $0["title"] as? String }
        #expect(rows == ["Overall health", "Process", "Positions", "Locks", "Market data", "Resources", "Warden itself"])
        var queried: Set<String> = []
        for panel in panels where panel["type"] as? String != "row" {
            let title = panel["title"] as? String ?? "?"
            #expect((panel["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(title): the datasource variable")
            #expect(!((panel["description"] as? String) ?? "").isEmpty, "\(title): a description")
            let unit = ((panel["fieldConfig"] as? [String: Any])?["defaults"] as? [String: Any])?["unit"] as? String
            #expect(!(unit ?? "").isEmpty, "\(title): a unit")
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                #expect((target["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(title): target datasource")
                let expression = target["expr"] as? String ?? ""
                #expect(!expression.contains("rate(") || expression.contains("[$__rate_interval]"), "\(title): \(expression)")
                // Every counter inside rate() or increase().
                for match in expression.matches(of: /([a-z_]+_total)/) {
                    let before = expression[..<match.range.lowerBound]
                    #expect(before.hasSuffix("rate(") || before.hasSuffix("increase("), "\(title): \(match.1) is a counter")
                }
                if expression.contains("warden_") && !expression.contains("warden_alert") {
                    #expect(expression.contains("engine=~\"$engine\""), "\(title): filtered by the engine variable")
                }
                for match in expression.matches(of: /(warden_[a-z_]+)/) { queried.insert(String(match.1)) }
            }
        }
        // Every family of the catalog a user watches is on the dashboard, except the few that only say how
        // Warden reads its inputs, and the dead-man's switch's, which its monitor watches from outside.
        let notOnDashboard: Set = ["warden_build_info", "warden_store_write_failures_total", "warden_engine_start_time_seconds",
                                   "warden_engine_processes", "warden_probe_success", "warden_probe_duration_seconds",
                                   "warden_heartbeat_file_age_seconds", "warden_log_rule_matches_total",
                                   "warden_log_rule_last_match_timestamp_seconds", "warden_alert_delivery_latency_seconds",
                                   "warden_heartbeat_pings_total", "warden_heartbeat_last_success_timestamp_seconds"]
        for family in Catalog.all where family.name.hasPrefix("warden_") && !notOnDashboard.contains(family.name) {
            #expect(queried.contains(family.name), "\(family.name) is on the dashboard")
        }
    }

    @Test func theCommittedJSONIsWhatTheGeneratorWrites() throws {
        let before = try String(contentsOfFile: DocumentationTests.root + "/dashboards/warden.json", encoding: .utf8)
        let directory = TempDirectory()
        _ = try runToEnd("/bin/cp", [DocumentationTests.root + "/dashboards/generate.py", directory.path])
        let (status, output) = try runToEnd("/usr/bin/python3", [directory.file("generate.py")])
        #expect(status == 0, "\(output)")
        #expect(directory.read("warden.json") == before, "run dashboards/generate.py and commit warden.json")
    }
}
