import Foundation
import Testing
@testable import WardenKit

/// `rates:` and `states:`: a counter judged by its pace, and a bot that is alive but stopped or paused, from the
/// config through the reading to the findings people read.
struct RateAndStateCheckTests {
    static let yaml = """
        engines:
          - name: freqtrade
            command: [sh]
            probes:
              - {name: api, http: {url: "http://127.0.0.1:8080/api/v1/show_config"}}
            log_rules:
              - {name: exchange_warning, match: "Retrying still for"}
            checks:
              decisions: {probe: api, pointer: /last_process_ts}
              rates:
                - {name: exchange_warnings, log_rule: exchange_warning, degraded: 5/min, unhealthy: 0.5/s}
              states:
                - {name: trading, probe: api, pointer: /state, expect: [running, RELOAD_CONFIG]}
        """

    static func engine() throws -> EngineConfig {
        let config = try ConfigLoader(environment: ["PATH": "/usr/bin:/bin"]).parse(yaml, file: "w.yml", baseDirectory: "/tmp")
        return try #require(config.engines.first)
    }

    /// One look at the bot at `now`: its API body and its warning count so far.
    static func look(_ reader: inout EngineReader, state: String, lastProcess: Double, warnings: Double,
                     now: Double) -> EngineReading {
        var status = EngineStatus(name: "freqtrade", budget: RestartBudget(limit: 10, window: .seconds(3600)))
        status.state = .running(pid: 42, since: 0)
        status.observations.probes["api"] = ProbeOutcome(success: true, durationSeconds: 0.01, at: now, failure: nil,
                                                         output: .json(.object(["state": .string(state),
                                                                                "last_process_ts": .number(lastProcess)])))
        status.observations.logs.counts["exchange_warning"] = warnings
        return reader.read(status, now: now)
    }

    static func findings(_ engine: EngineConfig, _ reading: EngineReading, now: Double) -> [HealthComponent: [String]] {
        var status = EngineStatus(name: "freqtrade", budget: RestartBudget(limit: 10, window: .seconds(3600)))
        status.state = .running(pid: 42, since: 0)
        let inputs = HealthEvaluator(settings: engine.health, watch: engine.watch).readings(status, reading, now: now)
        return inputs.compactMapValues { input in
            if case .reading(let reading) = input { return reading.findings.filter { $0.level > .healthy }.map(\.message) }
            return nil
        }
    }

    @Test func boundsAreReadAsRatesAndEachEntryKeepsItsOwn() throws {
        let engine = try Self.engine()
        #expect(engine.health.threshold(.counterRate, subject: "exchange_warnings") == Threshold(degraded: 5, unhealthy: 30))
        #expect(engine.health.threshold(.engineState, subject: "trading") == Threshold(degraded: 1), "a state defaults to DEGRADED")
        #expect(engine.health.threshold(.counterRate, subject: "other") == .off, "no bounds but an entry's")
        let model = try ConfigLoader(environment: [:]).readModel(Self.yaml, file: "w.yml")
        #expect(try ConfigLoader(environment: [:]).readModel(try model.yaml(), file: "w.yml") == model, "the entries encode as read")
    }

    /// Warnings at 12 a minute are DEGRADED (≥ 5/min); at 60 a minute UNHEALTHY (≥ 30/min); the count itself is
    /// shown as a counter Prometheus can rate.
    @Test func aCountersPaceIsJudgedPerMinute() throws {
        let engine = try Self.engine()
        var reader = EngineReader(checks: engine.watch.checks, rateWindow: 60)
        _ = Self.look(&reader, state: "running", lastProcess: 1000, warnings: 0, now: 1000)
        let slow = Self.look(&reader, state: "running", lastProcess: 1030, warnings: 6, now: 1030)
        #expect(slow.values.contains(CheckValue(Catalog.rateEvents, ["exchange_warnings"], 6,
                                                feeds: .ratePerMinute(.counterRate, subject: "exchange_warnings"))))
        #expect(Self.findings(engine, slow, now: 1030)[.api] == ["counter rate (exchange_warnings) 12/min (DEGRADED at ≥ 5/min)"])
        let fast = Self.look(&reader, state: "running", lastProcess: 1060, warnings: 66, now: 1060)
        #expect(Self.findings(engine, fast, now: 1060)[.api] == ["counter rate (exchange_warnings) 66/min (UNHEALTHY at ≥ 30/min)"])
        let quiet = Self.look(&reader, state: "running", lastProcess: 1200, warnings: 66, now: 1200)
        #expect(Self.findings(engine, quiet, now: 1200)[.api] == [], "no new warnings for a window: healthy again")
    }

    /// A bot stopped through its own API: the state is the finding, and its frozen loop is not taken for a silent
    /// one, so that no policy restarts a bot a person stopped. Started again, the age is judged as ever.
    @Test func aStoppedBotIsAFindingAndItsIdleLoopIsNotASilentOne() throws {
        let engine = try Self.engine()
        var reader = EngineReader(checks: engine.watch.checks, rateWindow: 60)
        let stopped = Self.look(&reader, state: "stopped", lastProcess: 1000, warnings: 0, now: 2000)
        #expect(stopped.values.contains(CheckValue(Catalog.engineStateExpected, ["trading"], 0)))
        #expect(Self.findings(engine, stopped, now: 2000)[.decisions] == ["engine state (trading) stopped, expected running or RELOAD_CONFIG (DEGRADED)"])

        let silent = Self.look(&reader, state: "Running", lastProcess: 1000, warnings: 0, now: 2000)
        #expect(silent.values.contains(CheckValue(Catalog.engineStateExpected, ["trading"], 1)), "compared without regard to case")
        #expect(Self.findings(engine, silent, now: 2000)[.decisions] == ["decision age 16m40s (UNHEALTHY at ≥ 5m)"])
    }

    @Test func entriesThatCannotWorkAreRefusedAtTheirLine() {
        let found = configIssues("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: api, http: {url: "http://127.0.0.1:8080/"}}
                log_rules:
                  - {name: warn, match: WARNING}
                checks:
                  rates:
                    - {name: w, log_rule: warn, degraded: 5/day}
                    - {name: w, log_rule: warn, degraded: 5}
                    - {name: x, log_rule: warn}
                  states:
                    - {name: s, log_rule: warn, expect: running}
                    - {name: t, probe: api, pointer: /state}
                    - {name: u, probe: nope, pointer: /state, expect: running, level: healthy}
            """).map(\.description)
        #expect(found.contains { $0.contains(":10: engines[0].checks.rates[0].degraded: expected a rate such as 5/min") }, "\(found)")
        #expect(found.contains { $0.contains(":11: engines[0].checks.rates[1]: duplicate rate name \"w\"") }, "\(found)")
        #expect(found.contains { $0.contains(":12: engines[0].checks.rates[2]: give at least one of degraded, unhealthy, critical") }, "\(found)")
        #expect(found.contains { $0.contains(":14: engines[0].checks.states[0]: a state is text the engine reports") }, "\(found)")
        #expect(found.contains { $0.contains(":15: engines[0].checks.states[1]: missing required key \"expect\"") }, "\(found)")
        #expect(found.contains { $0.contains(":16: engines[0].checks.states[2].level: a state that is not as expected must be worse") },
                "\(found)")
        #expect(found.contains { $0.contains("no probe named \"nope\"") }, "\(found)")
    }
}
