import Foundation
import Testing
@testable import WardenKit

/// Raw readings from an engine's status and check samples, against the seeds' default thresholds.
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
        let readings = Self.evaluator().readings(status, samples: [
            CheckSample(Catalog.locksStale, 2),
            CheckSample(Catalog.engineConnections, ["broker"], 9), CheckSample(Catalog.engineConnectionLimit, ["broker"], 10),
        ], rates: .init(cpu: 0.2, lockContention: 4), now: 100)
        #expect(Self.level(readings[.resources]) == .unhealthy, "memory 90% ≥ 85%")
        #expect(Self.level(readings[.api]) == .degraded, "6 s latency ≥ 5 s")
        #expect(Self.level(readings[.locks]) == .unhealthy, "any stale lock")
        guard case .reading(let locks) = readings[.locks] else { return }
        #expect(locks.findings.map(\.message) == ["stale locks 2 (UNHEALTHY at ≥ 1)", "lock contention 4/min (DEGRADED at ≥ 1/min)"])
        #expect(Self.level(readings[.connections]) == .degraded, "one below the limit")
        #expect(Self.level(readings[.process]) == .healthy)
        #expect(Self.level(readings[.database]) == .healthy, "a database probe that reads is fine")
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
        let readings = Self.evaluator().readings(status, samples: [], now: 95)
        guard case .reading(let api) = readings[.api] else { Issue.record("api not judged"); return }
        #expect(api.level == .unhealthy)
        #expect(api.worst?.message == "api failures (status) 3 (UNHEALTHY at ≥ 3): timed out")
        guard case .reading(let database) = readings[.database] else { Issue.record("database not judged"); return }
        #expect(database.level == .degraded)
        #expect(database.worst?.message.contains("database is locked") == true)
        #expect(readings[.locks] == .noData, "the lock check has nothing to read")
    }

    @Test func onlyTheProcessIsJudgedWhileStartingOrAfterGivingUp() {
        let young = Self.evaluator().readings(Self.running(since: 90), samples: [CheckSample(Catalog.locksStale, 5)],
                                              now: 100)
        #expect(young[.locks] == .notJudged, "inside the 15 s startup grace")
        var gone = Self.running()
        gone.state = .gaveUp(since: 50)
        let readings = Self.evaluator().readings(gone, samples: [], now: 100)
        guard case .reading(let process) = readings[.process] else { Issue.record("process not judged"); return }
        #expect(process.level == .critical && process.urgent)
        #expect(readings[.api] == .notJudged)
    }
}
