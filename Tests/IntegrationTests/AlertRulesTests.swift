import Foundation
import Testing
import Yams
@testable import WardenKit

/// alerts/ is what users import into Prometheus and Alertmanager: the real tools must accept it, and every
/// rule must fire and stay silent where it should.
struct AlertRulesTests {
    static let root = DocumentationTests.root

    /// Runs a tool the CI installs from Debian's packages; a missing tool fails the test, never skips it.
    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runToEnd("/usr/bin/" + tool, arguments, in: root)
    }

    @Test func promtoolAndAmtoolAcceptTheShippedFiles() throws {
        for (tool, arguments) in [
            ("promtool", ["check", "rules", "alerts/warden.rules.yml"]),
            ("promtool", ["test", "rules", "alerts/warden.rules.test.yml"]),
            ("promtool", ["check", "config", "examples/prometheus.yml"]),
            ("amtool", ["check-config", "alerts/alertmanager.example.yml"]),
            ("promtool", ["check", "config", "examples/many-hosts/prometheus.yml"]),
            ("amtool", ["check-config", "examples/many-hosts/alertmanager.yml"]),
        ] {
            let (status, output) = try Self.run(tool, arguments)
            #expect(status == 0, "\(tool) \(arguments.joined(separator: " ")):\n\(output)")
        }
    }

    /// Asks amtool which receivers `config` routes each set of labels to.
    static func expectRoutes(_ config: String, _ routes: [([String], String)]) throws {
        for (labels, receivers) in routes {
            let (status, output) = try Self.run("amtool", ["config", "routes", "test", "--config.file=\(config)"] + labels)
            let answer = output.split(separator: "\n").first { !$0.hasPrefix("Warning") }.map(String.init)
            #expect(status == 0 && answer == receivers, "\(config) \(labels): \(output)")
        }
    }

    @Test func theAlertmanagerExampleRoutesAsItSays() throws {
        try Self.expectRoutes("alerts/alertmanager.example.yml", [
            (["alertname=WardenWebSocketStale", "severity=unhealthy", "engine=bot"], "warden,telegram"),
            (["alertname=WardenEngineDown", "severity=critical", "engine=bot"], "telegram-urgent"),
            (["alertname=WardenProbeFailing", "severity=degraded", "engine=bot"], "telegram"),
        ])
    }

    /// A remediation reaches the Warden of its own instance and no other, whatever the engine is called; an
    /// instance with no Warden receiver, and every other alert, go to people only.
    @Test func theManyHostsExampleRoutesEachRemediationToItsOwnWarden() throws {
        try Self.expectRoutes("examples/many-hosts/alertmanager.yml", [
            (["alertname=WardenWebSocketStale", "instance=bot-1:9780", "engine=demo"], "warden-bot-1,people"),
            (["alertname=WardenWebSocketStale", "instance=bot-2:9780", "engine=demo"], "warden-bot-2,people"),
            (["alertname=WardenWebSocketStale", "instance=bot-3:9780", "engine=demo"], "warden-bot-3,people"),
            (["alertname=WardenWebSocketStale", "instance=bot-4:9780", "engine=demo"], "people"),
            (["alertname=WardenEngineDown", "instance=bot-2:9780", "engine=demo"], "people"),
        ])
    }

    @Test func theCommittedRulesAreWhatTheGeneratorWritesWithItsDefaults() throws {
        let before = try String(contentsOfFile: Self.root + "/alerts/warden.rules.yml", encoding: .utf8)
        let directory = try runGenerator("alerts/generate.py")
        #expect(directory.read("warden.rules.yml") == before, "run alerts/generate.py and commit warden.rules.yml")
    }

    /// Another job and runbook base reach every rule, and Prometheus's own checker accepts what comes out.
    @Test func theGeneratorsParametersReachEveryRule() throws {
        let directory = try runGenerator("alerts/generate.py", [
            "--job-selector", #"job=~"warden|warden-eu",env="prod""#, "--runbook-base", "https://git.example.com/ops/warden/-/blob/main",
        ])
        let text = try #require(directory.read("warden.rules.yml"))
        let (status, output) = try Self.run("promtool", ["check", "rules", directory.file("warden.rules.yml")])
        #expect(status == 0, "promtool check rules: \(output)")
        let rules = try #require(try Yams.load(yaml: text) as? [String: Any])
        let all = (rules["groups"] as? [[String: Any]] ?? []).flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(all.count >= 20)
        for rule in all {
            let name = rule["alert"] as? String ?? "?"
            let expression = rule["expr"] as? String ?? ""
            #expect(expression.contains(#"{job=~"warden|warden-eu",env="prod""#) && !expression.contains(#"job="warden""#),
                    "\(name): \(expression)")
            #expect((rule["annotations"] as? [String: String])?["runbook_url"]
                    == "https://git.example.com/ops/warden/-/blob/main/docs/RUNBOOK.md#\(name.lowercased())")
        }
    }

    @Test func everyRuleHasItsLevelTextsRunbookAndTwoTestCases() throws {
        let rules = try #require(try Yams.load(yaml: String(contentsOfFile: Self.root + "/alerts/warden.rules.yml", encoding: .utf8))
            as? [String: Any])
        let tests = try #require(try Yams.load(yaml: String(contentsOfFile: Self.root + "/alerts/warden.rules.test.yml", encoding: .utf8))
            as? [String: Any])
        let runbook = try String(contentsOfFile: Self.root + "/docs/RUNBOOK.md", encoding: .utf8)
        var cases: [String: (firing: Int, silent: Int)] = [:]
        for test in tests["tests"] as? [[String: Any]] ?? [] {
            for check in test["alert_rule_test"] as? [[String: Any]] ?? [] {
                let name = check["alertname"] as? String ?? ""
                let expected = (check["exp_alerts"] as? [[String: Any]]) ?? []
                let firing = !expected.isEmpty
                // The instance label survives every rule: hosts repeat engine names.
                for alert in expected {
                    #expect((alert["exp_labels"] as? [String: Any])?["instance"] != nil, "\(name) keeps the instance label")
                }
                // The engine label survives every rule about an engine, whatever it aggregates.
                if firing && !["WardenDown", "WardenAlertsNotDelivered", "WardenAlertsDeadLettered", "WardenConfigReloadFailed"].contains(name) {
                    #expect((expected[0]["exp_labels"] as? [String: Any])?["engine"] != nil, "\(name) keeps the engine label")
                }
                cases[name, default: (0, 0)].firing += firing ? 1 : 0
                cases[name, default: (0, 0)].silent += firing ? 0 : 1
            }
        }
        let all = (rules["groups"] as? [[String: Any]] ?? []).flatMap { $0["rules"] as? [[String: Any]] ?? [] }
        #expect(all.count >= 20)
        for rule in all {
            let name = rule["alert"] as? String ?? "?"
            let labels = rule["labels"] as? [String: String] ?? [:]
            let annotations = rule["annotations"] as? [String: String] ?? [:]
            #expect(["degraded", "unhealthy", "critical"].contains(labels["severity"] ?? ""), "\(name): severity is one of Warden's levels")
            #expect(annotations["summary"] != nil && annotations["description"] != nil, "\(name): summary and description")
            #expect(annotations["runbook_url"] == "https://warden.example/docs/RUNBOOK.md#\(name.lowercased())", "\(name): runbook link")
            #expect(annotations["summary"]?.contains("{{ $labels.instance }}") == true, "\(name): the summary names the host")
            // Every metric the rule reads is taken from the job the rules were written for.
            let expression = rule["expr"] as? String ?? ""
            let metrics = expression.matches(of: /\b(warden_[a-z_]+|up)\b(\{[^}]*\})?/)
            #expect(!metrics.isEmpty, "\(name): \(expression)")
            for match in metrics {
                #expect(match.2?.hasPrefix("{job=\"warden\"") == true, "\(name): \(match.0) carries the job selector")
            }
            #expect(runbook.contains("## \(name)\n"), "\(name) has a runbook section")
            #expect((cases[name]?.firing ?? 0) >= 1 && (cases[name]?.silent ?? 0) >= 1, "\(name) is tested firing and silent")
        }
        #expect(Set(all.compactMap { $0["alert"] as? String }).isSuperset(of: ["WardenDown", "WardenEngineFlapping"]))
    }
}
