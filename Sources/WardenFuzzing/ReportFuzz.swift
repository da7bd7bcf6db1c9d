import Foundation
import WardenKit

/// A pushed report, as `POST /api/v1/engines/{name}/report` takes it: parsed, validated, and when valid read by
/// every check that can read a report and judged, as the HTTP handler and the judge do.
enum ReportFuzz {
    /// An engine whose checks read everything a report can carry.
    static let engine: EngineConfig = {
        let yaml = """
            engines:
              - name: bot
                command: [/bin/true]
                report: {max_body: 1MiB, max_age: 60s}
                checks:
                  positions: {database: db, monitored: {probe: report, pointer: /monitored_positions}}
                  locks: {busy: {probe: report, pointer: /locks/busy}, recently_executed: {probe: report, pointer: /locks/recently_executed}}
                  pnl: {probe: report}
                  websocket:
                    - {stream: market, last_message: {probe: report, pointer: /websocket/0/last_message_time},
                       reconnects: {probe: report, pointer: /websocket/0/reconnects}}
                  decisions: {probe: report, pointer: /last_decision_time}
                probes:
                  - {name: db, sqlite: {path: engine.sqlite}}
            """
        do {
            return try ConfigFuzz.loader.parse(yaml, file: "report-fuzz.yml", baseDirectory: "/").engines[0]
        } catch {
            fatalError("the report target's own config is invalid: \(error)")
        }
    }()
    static let now = 1_800_000_000.0

    static func run(_ bytes: [UInt8]) -> FuzzVerdict {
        readingJSON(bytes, then: judge)
    }

    static func judge(_ document: JSONValue) -> FuzzVerdict {
        if let invalid = PushedReport.validate(document) {
            let pointer = JSONPointer(invalid.field)
            promise(pointer != nil, "not a JSON pointer: \(invalid.field)")
            if invalid.message != "required" {
                promise(pointer?.resolve(in: document) != nil, "\(invalid.field) names no field of the report")
            }
            return .rejected("\(invalid.field): \(invalid.message)")
        }
        var status = EngineStatus(name: engine.name, budget: engine.restart.budget)
        status.state = .running(pid: 4242, since: now - 3600)
        status.observations.probes[PushedReport.probeName] = ProbeOutcome(
            success: true, durationSeconds: 0, at: now, failure: nil, output: .json(document), expiresAt: now + 60)
        var reader = EngineReader(checks: engine.watch.checks, rateWindow: 60)
        let reading = reader.read(status, now: now)
        for value in reading.values {
            guard let metric = value.metric else { continue }
            let names = metric.labels.filter { $0 != "engine" }
            promise(value.labels.count == names.count, "\(metric.name) has labels \(value.labels) for \(names)")
        }
        let evaluator = HealthEvaluator(settings: engine.health, watch: engine.watch)
        _ = evaluator.readings(status, reading, now: now)
        return .accepted
    }
}
