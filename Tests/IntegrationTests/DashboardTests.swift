import Foundation
import Testing
@testable import WardenKit

/// dashboards/warden.json as Grafana users import it: through the UI or file provisioning, on any Prometheus
/// data source, with the `instance` (one Warden per engine host) and `engine` filters, with counters read as
/// rates, and with restarts and level changes marked on every panel.
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
        let instance = try #require(variables.first { $0["name"] as? String == "instance" })
        #expect(instance["multi"] as? Bool == true && instance["includeAll"] as? Bool == true
                && instance["definition"] as? String == "label_values(warden_build_info, instance)")
        let engine = try #require(variables.first { $0["name"] as? String == "engine" })
        #expect(engine["multi"] as? Bool == true
                && engine["definition"] as? String == #"label_values(warden_engine_up{instance=~"$instance"}, engine)"#,
                "the engines of the chosen instances")
        #expect(variables.map { $0["name"] as? String } == ["datasource", "instance", "engine"], "each after what it depends on")
        #expect(dashboard["__inputs"] == nil, "no import-time inputs: file provisioning would not resolve them")

        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        let rows = panels.filter { $0["type"] as? String == "row" }.compactMap { $0["title"] as? String }
        #expect(rows == ["Overall health", "Process", "Trading state", "Positions", "Locks", "Market data", "Resources", "Warden itself"])
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
                Self.expectFiltered(expression, title)
                #expect((target["legendFormat"] as? String)?.hasPrefix("{{instance}}") == true, "\(title): the legend names the host")
                for match in expression.matches(of: /(warden_[a-z_]+)/) { queried.insert(String(match.1)) }
            }
        }
        // Every family of the catalog a user watches is on the dashboard, except the few that only say how
        // Warden reads its inputs, and the dead-man's switch's, which its monitor watches from outside.
        let notOnDashboard: Set = ["warden_build_info", "warden_store_write_failures_total", "warden_engine_start_time_seconds",
                                   "warden_engine_processes", "warden_probe_success", "warden_probe_duration_seconds",
                                   "warden_heartbeat_file_age_seconds", "warden_log_rule_matches_total",
                                   "warden_log_rule_last_match_timestamp_seconds", "warden_alert_delivery_latency_seconds",
                                   "warden_config_last_reload_successful", "warden_config_last_reload_success_timestamp_seconds",
                                   "warden_heartbeat_pings_total", "warden_heartbeat_last_success_timestamp_seconds"]
        for family in Catalog.all where family.name.hasPrefix("warden_") && !notOnDashboard.contains(family.name) {
            #expect(queried.contains(family.name), "\(family.name) is on the dashboard")
        }
    }

    /// Counters inside rate() or increase(); every Warden metric filtered by the instance variable, and by the
    /// engine variable where it has an engine; sums keep the instance, since engine names repeat across hosts.
    static func expectFiltered(_ expression: String, _ title: String) {
        for match in expression.matches(of: /([a-z_]+_total)/) {
            let before = expression[..<match.range.lowerBound]
            #expect(before.hasSuffix("rate(") || before.hasSuffix("increase("), "\(title): \(match.1) is a counter")
        }
        for match in expression.matches(of: /(warden_[a-z_]+)(\{[^}]*\})?/) {
            let selector = match.2 ?? ""
            #expect(selector.contains(#"instance=~"$instance""#), "\(title): \(match.1) filtered by the instance variable")
            if !match.1.hasPrefix("warden_alert") {
                #expect(selector.contains(#"engine=~"$engine""#), "\(title): \(match.1) filtered by the engine variable")
            }
        }
        for match in expression.matches(of: /sum by \(([^)]*)\)/) {
            #expect(match.1.hasPrefix("instance,"), "\(title): \(match.0) keeps the instance")
        }
    }

    @Test func annotationsMarkRestartsAndLevelChangesFromCatalogMetrics() throws {
        let annotations = try #require((try Self.dashboard()["annotations"] as? [String: Any])?["list"] as? [[String: Any]])
        let byName = Dictionary(uniqueKeysWithValues: annotations.compactMap { entry in
            (entry["name"] as? String).map { ($0, entry) }
        })
        let catalog = Set(Catalog.all.map(\.name))
        for (name, family) in [("Engine restarts", Catalog.engineRestarts), ("Health changes", Catalog.healthLevel)] {
            let annotation = try #require(byName[name], "the \(name) annotation")
            let expression = annotation["expr"] as? String ?? ""
            #expect(annotation["enable"] as? Bool == true)
            #expect((annotation["datasource"] as? [String: String])?["uid"] == "${datasource}", "\(name): the datasource variable")
            #expect(expression.contains(family.name + "{"), "\(name) reads \(family.name): \(expression)")
            for match in expression.matches(of: /(warden_[a-z_]+)/) {
                #expect(catalog.contains(String(match.1)), "\(name): \(match.1) is a metric Warden exposes")
            }
            Self.expectFiltered(expression, name)
            #expect((annotation["textFormat"] as? String)?.contains("{{instance}}") == true, "\(name): the text names the host")
        }
    }

    @Test func theCommittedJSONIsWhatTheGeneratorWrites() throws {
        let before = try String(contentsOfFile: DocumentationTests.root + "/dashboards/warden.json", encoding: .utf8)
        let directory = try runGenerator("dashboards/generate.py")
        #expect(directory.read("warden.json") == before, "run dashboards/generate.py and commit warden.json")
    }
}
