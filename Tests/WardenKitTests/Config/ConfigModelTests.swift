import Foundation
import Testing
@testable import WardenKit

/// The config model: what the loader's first pass reads, what the demo writes, and where every default lives.
struct ConfigModelTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])

    static let root = Repository.root

    func model(_ yaml: String) throws(ConfigError) -> ConfigFile {
        try loader.readModel(yaml, file: "warden.yml")
    }

    /// The demo writes its config by encoding the model: the file must read back to the same model, and load.
    @Test(arguments: [(DemoEngineConfig.Pace.demo, 9782), (DemoEngineConfig.Pace.fast, nil)])
    func theDemosModelEncodesToAFileThatReadsBackEqual(_ pace: DemoEngineConfig.Pace, _ brokerPort: Int?) throws {
        let directory = FileManager.default.temporaryDirectory.path
        var engine = DemoEngineConfig.engine(command: ["sh", "-c", "exit 0"], workingDirectory: directory,
                                             database: "\(directory)/engine.sqlite", statusURL: "http://127.0.0.1:9781/status",
                                             brokerPort: brokerPort, pace: pace)
        engine.stop.gracePeriod = .milliseconds(1500)
        var file = ConfigFile(engines: [engine])
        file.adminToken = .environment("WARDEN_DEMO_ADMIN_TOKEN")
        let yaml = try file.yaml()
        #expect(try model(yaml) == file, "\(yaml)")
        let config = try loader.parse(yaml, file: "demo.yml", baseDirectory: directory)
        #expect(config.engines.first?.remediation.policies.count == 5)

        let entry = try ConfigFile.engineEntries([engine])
        #expect(try model("engines:\n" + entry).engines == [engine], "the entries sit under engines: as they are")
    }

    /// Every example and fuzz seed, read, encoded and read again, is the model it was: the encoding covers
    /// every section the examples use (alerts, secrets, every probe, check and action).
    @Test func everyExampleRoundTripsThroughTheModel() throws {
        let examples = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/examples").map { "examples/\($0)/warden.yml" }
            .filter { FileManager.default.fileExists(atPath: Self.root + "/" + $0) }
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/fuzz/corpus/config").map { "fuzz/corpus/config/\($0)" }
        #expect(examples.count >= 6 && seeds.count >= 6)
        for path in examples + seeds {
            let read = try model(String(contentsOfFile: Self.root + "/" + path, encoding: .utf8))
            let yaml = try read.yaml()
            #expect(try model(yaml) == read, "\(path):\n\(yaml)")
        }
    }

    /// Each key left out gets the model's default: the first pass applies no default of its own.
    @Test func everyDefaultIsTheModels() throws {
        let read = try model("""
            alerts:
              channels:
                - {telegram: {bot_token: {env: TG}, chat_id: "1"}}
                - {webhook: {url: "http://127.0.0.1:1/hook"}}
                - {log: {}}
            remediation: {budget: {max: 3}}
            engines:
              - name: bot
                command: [sh]
                report: {}
                probes:
                  - {name: status, http: {url: "http://127.0.0.1:1/status"}}
                  - {name: db, sqlite: {path: db.sqlite}}
                  - {name: hb, heartbeat_file: {path: hb}}
                log_rules:
                  - {name: decision, match: DECISION}
                checks:
                  positions: {database: db}
                  locks: {database: db}
                  pnl: {probe: status}
                  websocket: [{last_message: {probe: status, pointer: /t}}]
                  connections: [{endpoint: "127.0.0.1:443"}]
                remediation:
                  policies:
                    - {name: p, component: api, ladder: [{restart: {}}, {exec: {command: [sh]}}, {sql: {probe: db, statement: x}}]}
                  alertmanager:
                    - {alertname: A, action: {http: {url: "http://127.0.0.1:1/a"}}}
            """)

        var engine = ConfigFile.Engine(name: "bot", command: ["sh"])
        engine.report = ConfigFile.Report()
        let status = URL(string: "http://127.0.0.1:1/status")!
        engine.probes = [ConfigFile.Probe(name: "status", kind: .http(.init(url: status))),
                         ConfigFile.Probe(name: "db", kind: .sqlite(.init(path: "db.sqlite"))),
                         ConfigFile.Probe(name: "hb", kind: .heartbeatFile(.init(path: "hb")))]
        engine.logRules = [ConfigFile.LogRule(name: "decision", match: "DECISION")]
        engine.checks.positions = ConfigFile.Positions(database: "db")
        engine.checks.locks = ConfigFile.Locks(database: "db")
        engine.checks.pnl = ConfigFile.PnL(probe: "status")
        engine.checks.websocket = [ConfigFile.WebSocketStream(lastMessage: .init(.json(probe: "status", pointer: JSONPointer("/t")!)))]
        engine.checks.connections = [ConfigFile.ConnectionEndpoint(endpoint: "127.0.0.1:443")]
        engine.remediation.policies = [ConfigFile.Policy(name: "p", component: .api, ladder: [
            ConfigFile.Rung(action: .restart(.init())), ConfigFile.Rung(action: .exec(.init(command: ["sh"]))),
            ConfigFile.Rung(action: .sql(.init(probe: "db", statement: "x"))),
        ])]
        engine.remediation.alertmanager = [ConfigFile.AlertmanagerMapping(alertname: "A",
                                                                          action: .http(.init(url: URL(string: "http://127.0.0.1:1/a")!)))]
        var expected = ConfigFile(engines: [engine])
        expected.remediation.budget = ConfigFile.Budget(max: 3)
        expected.alerts.channels = [ConfigFile.Channel(kind: .telegram(.init(botToken: .environment("TG"), chatID: "1"))),
                                    ConfigFile.Channel(kind: .webhook(.init(url: URL(string: "http://127.0.0.1:1/hook")!))),
                                    ConfigFile.Channel(kind: .log)]
        #expect(read == expected)
        #expect(try model("engines: [{name: bot, command: [sh]}]") == ConfigFile(engines: [ConfigFile.Engine(name: "bot", command: ["sh"])]))
    }

    /// The runtime's settings start from the model's defaults, so that what the second pass converts and what
    /// a runtime type assumes on its own cannot drift apart.
    @Test func theRuntimeSettingsStartFromTheModelsDefaults() throws {
        let config = try loader.parse("engines: [{name: bot, command: [sh]}]", file: "warden.yml", baseDirectory: "/etc/warden")
        let engine = try #require(config.engines.first)
        #expect(engine.health == HealthSettings())
        #expect(config.remediation == RemediationSettings())
        let alerts = AlertSettings()
        #expect(config.alerts.channels.map(\.name) == alerts.channels.map(\.name))
        #expect((config.alerts.groupWindow, config.alerts.repeatInterval, config.alerts.maxAge)
                == (alerts.groupWindow, alerts.repeatInterval, alerts.maxAge))
        let model = ConfigFile.Engine(name: "bot", command: ["sh"])
        #expect(engine.restart.backoff.maximum == model.restart.maxBackoff && engine.restart.budget.limit == model.restart.budget)
        #expect(engine.logs.maxBytes == model.logs.maxSize && engine.samplingInterval == model.samplingInterval)
    }

    /// Durations and sizes are written the way a person writes them in the file.
    @Test func durationsAndSizesEncodeInTheConfigsNotation() throws {
        var engine = ConfigFile.Engine(name: "bot", command: ["sh"])
        engine.report = ConfigFile.Report()
        engine.restart.initialBackoff = .milliseconds(500)
        engine.health.thresholds = [.memoryBytes: Threshold(unhealthy: 2_000_000_000), .decisionAge: Threshold(unhealthy: 90),
                                    .memoryRatio: Threshold(degraded: 0.7), .cpuRatio: .off]
        let yaml = try ConfigFile(engines: [engine]).yaml()
        for line in ["grace_period: 10s", "initial_backoff: 500ms", "max_backoff: 5m", "budget_window: 1h", "max_size: 10MB",
                     "max_body: 1MiB", "unhealthy: 2GB", "unhealthy: 1m30s", "degraded: 0.7", "cpu_ratio: off",
                     "multiplier: 2\n", "jitter: 0.1"] {
            #expect(yaml.contains(line), "\(line) in\n\(yaml)")
        }
        #expect(Units.formatByteSize(65_536) == "64KiB" && Units.formatByteSize(1500) == "1500" && Units.formatByteSize(0) == "0")
    }

    /// Where a value is written is not what it says: a reload compares models, and a file laid out anew with
    /// the same settings has not changed.
    @Test func modelsOfTheSameSettingsAreEqualHoweverTheyAreWritten() throws {
        let flow = try model("engines: [{name: bot, command: [sh], checks: {decisions: {log_rule: d}}, log_rules: [{name: d, match: x}]}]")
        let block = try model("""
            # the same engine, spread out
            engines:
              - name: bot
                log_rules:
                  - name: d
                    match: x
                checks:
                  decisions:
                    log_rule: d
                command:
                  - sh
            """)
        #expect(flow == block)
        var changed = block
        changed.engines[0].logRules[0].match = "y"
        #expect(changed != flow)
    }
}
