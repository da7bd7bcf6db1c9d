import Foundation
import Testing
@testable import WardenKit

/// How checks read their sources: what the config accepts for each, when a source is no data, which timestamps
/// and report fields are refused.
struct CheckSourceTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])

    func issues(_ yaml: String) -> [String] {
        do {
            _ = try loader.parse(yaml, file: "w.yml", baseDirectory: "/tmp")
            return []
        } catch {
            return error.issues.map(\.message)
        }
    }

    @Test func logRulesMustBeOfTheKindTheValueNeeds() {
        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                log_rules:
                  - {name: decision, match: "DECISION", kind: heartbeat}
                  - {name: busy, match: "lock_busy"}
                checks:
                  decisions: {log_rule: busy}
                  locks: {busy: {log_rule: decision}}
            """)
        #expect(found.contains("log rule \"busy\" is a counter; this needs a heartbeat (the time of the last match)"))
        #expect(found.contains("log rule \"decision\" is a heartbeat (a time); this needs a counter"))
    }

    @Test func duplicateStreamsAndALongBusyTimeoutAreRefused() {
        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: status, http: {url: "http://127.0.0.1:1/s"}}
                  - {name: db, sqlite: {path: x.sqlite, busy_timeout: 10s}, timeout: 2s}
                checks:
                  websocket:
                    - {last_message: {probe: status, pointer: /a}}
                    - {last_message: {probe: status, pointer: /b}}
            """)
        #expect(found.contains("duplicate stream name \"default\""))
        #expect(found.contains("must not exceed the probe's timeout (2s)"))
    }

    @Test func everySQLSourceRunsOnItsOwnProbe() throws {
        let config = try loader.parse("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: db, sqlite: {path: a.sqlite}}
                  - {name: memory, sqlite: {path: b.sqlite}}
                checks:
                  positions:
                    database: db
                    monitored: {probe: memory, query: "SELECT COUNT(*) FROM tasks"}
            """, file: "w.yml", baseDirectory: "/tmp")
        let probes = config.engines[0].watch.makeProbes().compactMap { $0 as? SQLiteProbe }
        let db = try #require(probes.first { $0.name == "db" })
        let memory = try #require(probes.first { $0.name == "memory" })
        #expect(db.queries.map(\.name) == ["positions.open", "positions.overdue", "positions.unprotected"])
        #expect(memory.queries == [SQLQuery(name: "positions.monitored", sql: "SELECT COUNT(*) FROM tasks")])

        var observations = EngineObservations()
        observations.probes["db"] = ProbeOutcome(success: true, durationSeconds: 0, at: 0, failure: nil,
                                                 output: .sql(["positions.open": [[.integer(5)]]]))
        observations.probes["memory"] = ProbeOutcome(success: true, durationSeconds: 0, at: 0, failure: nil,
                                                     output: .sql(["positions.monitored": [[.integer(3)]]]))
        let samples = config.engines[0].watch.checks[0].values(observations, now: 0)
        #expect(samples.first { $0.metric == Catalog.monitorMismatch }?.value == 2)
    }

    @Test func pnlWithoutTwoSourcesForAnyPositionIsNoData() throws {
        var observations = EngineObservations()
        observations.probes["s"] = ProbeOutcome(success: true, durationSeconds: 0, at: 0, failure: nil,
                                                output: .json(try JSONValue.parse(Data(#"{"positions": [{"symbol": "ETH", "pnl": {"mark": 3}}]}"#.utf8))))
        let check = PnLCheck(probe: "s", positions: JSONPointer("/positions")!, symbol: JSONPointer("/symbol")!, side: nil,
                             sources: [("mark", JSONPointer("/pnl/mark")!), ("last", JSONPointer("/pnl/last")!)],
                             entryPrice: nil, quantity: nil, minimumScale: 1)
        let samples = check.values(observations, now: 0)
        #expect(!samples.contains { $0.metric == Catalog.pnlDeviation }, "one source compares with nothing: no 0")
        #expect(samples.filter { $0.metric == Catalog.pnlSourceUp }.map(\.value) == [1, 0])
    }

    @Test func timestampEdgesAreRejected() {
        let utc = TimestampParser()
        #expect(utc.parse(text: "2024-11-21T03:34:56+08:") == nil)
        #expect(utc.parse(text: "2024-11-21T03:34:56+99:00") == nil)
        #expect(utc.parse(text: "2024-11-21T03:34:56+08:75") == nil)
        #expect(utc.parse(text: "0001-01-01T00:00:00") == nil, "zeroed columns are no timestamp")
        #expect(utc.parse(text: "2024-11-21T03:34:56Z\n") == 1_732_160_096)
        #expect(utc.parse(text: "2024-11-21T11:34:56+08") == 1_732_160_096)
        #expect(TimestampParser.parseOffset(".5") == nil)
        #expect(TimestampParser.parseOffset("+08:00") == 28_800)
    }

    @Test func unknownNestedReportFieldsAreNamed() throws {
        let invalid = PushedReport.validate(try JSONValue.parse(Data(#"{"websocket": [{"stream": "m", "last_message_time": 1732160096, "reconects": 2}]}"#.utf8)))
        #expect(invalid?.field == "/websocket/0/reconects")
        let position = PushedReport.validate(try JSONValue.parse(Data(#"{"positions": [{"symbol": "ETH", "qty": 1}]}"#.utf8)))
        #expect(position?.field == "/positions/0/qty")
    }
}
