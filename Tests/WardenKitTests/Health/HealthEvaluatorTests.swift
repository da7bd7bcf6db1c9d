import Foundation
import Testing
@testable import WardenKit

/// Raw judgements from an engine's status and reading, against the default thresholds.
struct HealthEvaluatorTests {
    static func evaluator() -> HealthEvaluator {
        var watch = WatchConfig()
        watch.probes = [
            ProbeConfig(name: "status", interval: .seconds(5), timeout: .seconds(2),
                        kind: .http(url: URL(string: "http://127.0.0.1:1/status")!, maxBodyBytes: 1000, expectJSON: true)),
            ProbeConfig(name: "db", interval: .seconds(5), timeout: .seconds(2), kind: .sqlite(path: "/x.db", busyTimeout: .seconds(1))),
        ]
        watch.checks = [LocksCheck(database: "db", query: LocksCheck.defaultQuery, contentionQuery: nil, contentionSources: [:]),
                        ConnectionsCheck(endpoints: [])]
        return HealthEvaluator(settings: HealthSettings(), watch: watch)
    }

    static func running(since: Double = 0) -> EngineStatus {
        var status = EngineStatus(name: "bot", budget: RestartBudget(limit: 10, window: .seconds(3600)))
        status.state = .running(pid: 42, since: since)
        return status
    }

    static func level(_ input: ComponentInput?) -> HealthLevel? {
        if case .reading(let reading) = input { return reading.level }
        return nil
    }

    @Test func seedThresholdsJudgeTheValues() {
        var status = Self.running()
        status.resources = ResourceSample(cpuSeconds: 1, residentBytes: 1, memoryRatio: 0.9, threads: 20, openFDs: 3,
                                          processes: 1, sampledAt: 100)
        status.observations.probes["status"] = ProbeOutcome(success: true, durationSeconds: 6, at: 99, failure: nil,
                                                            output: .json(.object([:])))
        status.observations.probes["db"] = ProbeOutcome(success: true, durationSeconds: 0.01, at: 99, failure: nil,
                                                        output: .sql([:]))
        let reading = EngineReading(at: 100, measurements: [
            Measurement(.memoryRatio, 0.9), Measurement(.cpuRatio, 0.2), Measurement(.staleLocks, 2),
            Measurement(.lockContention, 4), Measurement(.connectionHeadroom, 1, subject: "broker"),
        ])
        let readings = Self.evaluator().readings(status, reading, now: 100)
        #expect(Self.level(readings[.resources]) == .unhealthy, "memory 90% ≥ 85%")
        #expect(Self.level(readings[.api]) == .degraded, "6 s latency ≥ 5 s")
        #expect(Self.level(readings[.locks]) == .unhealthy, "any stale lock")
        guard case .reading(let locks) = readings[.locks] else { return }
        #expect(locks.findings.map(\.message) == ["stale locks 2 (UNHEALTHY at ≥ 1)", "lock contention 4/min (DEGRADED at ≥ 1/min)"])
        #expect(Self.level(readings[.connections]) == .degraded, "one below the limit")
        #expect(Self.level(readings[.process]) == .healthy)
        #expect(Self.level(readings[.database]) == .healthy, "a database probe that reads is fine")
    }

    /// A silent loop is judged the moment its age reaches a bound, not at the judge's next tick.
    @Test func theJudgeWakesWhenAGrowingAgeReachesItsNextBound() {
        var settings = HealthSettings()
        settings.thresholds[.decisionAge] = Threshold(degraded: 60, unhealthy: 300)
        settings.thresholds[.websocketLag] = Threshold(unhealthy: 60)
        let evaluator = HealthEvaluator(settings: settings, watch: WatchConfig())
        func input(_ findings: Finding...) -> ComponentInput { .reading(Reading(findings)) }
        let readings: [HealthComponent: ComponentInput] = [
            .decisions: input(.judged(.decisionAge, 250, settings.threshold(.decisionAge))),  // DEGRADED; UNHEALTHY in 50 s
            .websocket: input(.judged(.websocketLag, 15, settings.threshold(.websocketLag))),  // UNHEALTHY in 45 s: sooner
            .positions: input(.judged(.monitorMismatch, 0, settings.threshold(.monitorMismatch))),  // a count does not grow
            .database: .noData,
        ]
        #expect(evaluator.nextCrossing(readings, now: 1000) == 1045)
        let past: [HealthComponent: ComponentInput] = [.decisions: input(.judged(.decisionAge, 400, settings.threshold(.decisionAge)))]
        #expect(evaluator.nextCrossing(past, now: 1000) == nil, "past every bound: nothing left to wait for")

        #expect(HealthEvaluator.pause(.seconds(10), until: nil, now: 0) == .seconds(10))
        #expect(HealthEvaluator.pause(.seconds(10), until: 3, now: 0) == .seconds(3.002), "just past the crossing")
        #expect(HealthEvaluator.pause(.seconds(10), until: 30, now: 0) == .seconds(10), "the tick comes first")
        #expect(HealthEvaluator.pause(.seconds(10), until: -5, now: 0) == .seconds(0.01), "never a busy loop")
    }

    @Test func threeUnansweredHealthChecksAreUnhealthyAndALongSilentDatabaseIsDegraded() {
        var status = Self.running()
        var outcome: ProbeOutcome?
        for t in [70.0, 80, 90] {
            outcome = ProbeOutcome(success: false, durationSeconds: 2, at: t, failure: "timed out", output: .none).following(outcome)
        }
        status.observations.probes["status"] = outcome
        status.observations.probes["db"] = ProbeOutcome(success: false, durationSeconds: 0, at: 30, failure: "database is locked",
                                                        output: .none).following(nil)
        let readings = Self.evaluator().readings(status, EngineReading(at: 95), now: 95)
        guard case .reading(let api) = readings[.api] else { Issue.record("api not judged"); return }
        #expect(api.level == .unhealthy)
        #expect(api.worst?.message == "api failures (status) 3 (UNHEALTHY at ≥ 3): timed out")
        guard case .reading(let database) = readings[.database] else { Issue.record("database not judged"); return }
        #expect(database.level == .degraded)
        #expect(database.worst?.message.contains("database is locked") == true)
        #expect(readings[.locks] == .noData, "the lock check has nothing to read")
    }

    @Test func onlyTheProcessIsJudgedWhileStartingOrAfterGivingUp() {
        let young = Self.evaluator().readings(Self.running(since: 90),
                                              EngineReading(at: 100, measurements: [Measurement(.staleLocks, 5)]), now: 100)
        #expect(young[.locks] == .notJudged, "inside the 15 s startup grace")
        var gone = Self.running()
        gone.state = .gaveUp(since: 50)
        let readings = Self.evaluator().readings(gone, EngineReading(at: 100), now: 100)
        guard case .reading(let process) = readings[.process] else { Issue.record("process not judged"); return }
        #expect(process.level == .critical && process.urgent)
        #expect(readings[.api] == .notJudged)
    }

    /// An age read at one instant and judged a little later has grown by the difference: a reading taken at a
    /// slot and judged at a crossing must not judge the silent loop younger than it is.
    @Test func agesInAReadingGrowUntilTheyAreJudged() {
        let reading = EngineReading(at: 100, measurements: [Measurement(.decisionAge, 290)])
        var evaluator = Self.evaluator()
        evaluator.components.insert(.decisions)
        let readings = evaluator.readings(Self.running(), reading, now: 110)
        guard case .reading(let decisions) = readings[.decisions] else { Issue.record("decisions not judged"); return }
        #expect(decisions.worst?.value == 300)
        #expect(decisions.level == .unhealthy)
    }

    @Test func componentsSortInDeclarationOrder() {
        #expect(HealthComponent.allCases.shuffled().sorted() == HealthComponent.allCases)
    }
}
