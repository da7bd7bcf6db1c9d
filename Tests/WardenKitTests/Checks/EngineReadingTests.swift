import Foundation
import Testing
@testable import WardenKit

/// One reading per look: the checks run once, their values are shown and judged from it, and the rates that need a
/// history are the reader's.
struct EngineReadingTests {
    static func running(since: Double = 0) -> EngineStatus {
        var status = EngineStatus(name: "bot", budget: RestartBudget(limit: 10, window: .seconds(3600)))
        status.state = .running(pid: 42, since: since)
        return status
    }

    /// A lock check reading its outcome counts from a pushed report: totals the test sets per look.
    static func contention(busy: Double, at: Double) -> EngineStatus {
        var status = running()
        status.observations.probes["report"] = ProbeOutcome(success: true, durationSeconds: 0, at: at, failure: nil,
                                                            output: .json(.object(["busy": .number(busy)])))
        return status
    }

    static let locks = LocksCheck(database: nil, contentionSources: ["busy": .json(probe: "report", pointer: JSONPointer("/busy")!)])

    @Test func checkValuesAreShownAndJudgedFromOneReading() {
        var status = Self.running()
        status.observations.connections = ["broker": 9]
        let check = ConnectionsCheck(endpoints: [
            ConnectionEndpoint(name: "broker", matcher: EndpointMatcher("127.0.0.1:443")!, limit: 10),
        ])
        var reader = EngineReader(checks: [check], rateWindow: 60)
        let reading = reader.read(status, now: 100)
        #expect(reading.largest(Catalog.engineConnections) == 9)
        #expect(reading.largest(Catalog.engineConnectionLimit) == 10)
        #expect(reading.measurements == [Measurement(.connectionHeadroom, 1, subject: "broker")],
                "headroom is judged, never shown as a metric of its own")
    }

    @Test func aCounterFeedsItsRatePerMinuteOverTheWindow() {
        var reader = EngineReader(checks: [Self.locks], rateWindow: 60)
        let first = reader.read(Self.contention(busy: 10, at: 0), now: 0)
        #expect(first.measurements.isEmpty, "one point is no rate")
        #expect(first.largest(Catalog.lockContention) == 10, "the total is shown from the first look")
        _ = reader.read(Self.contention(busy: 13, at: 30), now: 30)
        let third = reader.read(Self.contention(busy: 16, at: 60), now: 60)
        #expect(third.measurements == [Measurement(.lockContention, 6)], "6 outcomes in one minute")
        // Two minutes on, the first point has left the window: 12 outcomes over the last 60 s.
        _ = reader.read(Self.contention(busy: 22, at: 90), now: 90)
        let late = reader.read(Self.contention(busy: 28, at: 120), now: 120)
        #expect(late.measurements == [Measurement(.lockContention, 12)])
    }

    @Test func aCounterThatGoesBackwardsStartsItsRateAgain() {
        var reader = EngineReader(checks: [Self.locks], rateWindow: 60)
        _ = reader.read(Self.contention(busy: 50, at: 0), now: 0)
        let reset = reader.read(Self.contention(busy: 2, at: 10), now: 10)
        #expect(reset.measurements.isEmpty, "a reset history is no negative rate")
        let next = reader.read(Self.contention(busy: 3, at: 40), now: 40)
        #expect(next.measurements == [Measurement(.lockContention, 2)])
    }

    @Test func cpuIsTheRatioBetweenTwoDistinctSamplesHoweverOftenItIsRead() {
        var reader = EngineReader(checks: [], rateWindow: 60)
        func look(cpu: Double, sampledAt: Double, now: Double) -> Double? {
            var status = Self.running()
            status.resources = ResourceSample(cpuSeconds: cpu, residentBytes: 1000, memoryRatio: 0.1, threads: 3, openFDs: 4,
                                              processes: 1, sampledAt: sampledAt)
            return reader.read(status, now: now).measurements.first { $0.check == .cpuRatio }?.value
        }
        #expect(look(cpu: 1, sampledAt: 10, now: 10) == nil)
        #expect(look(cpu: 1.5, sampledAt: 15, now: 15) == 0.1)
        #expect(look(cpu: 1.5, sampledAt: 15, now: 17) == 0.1, "a second look at the same sample keeps the rate")
        #expect(look(cpu: 0.2, sampledAt: 20, now: 20) == nil, "a new process: no rate until two samples of it")
    }

    @Test func aResourceSampleOfAnEarlierProcessIsNotJudged() {
        var status = Self.running(since: 50)
        status.resources = ResourceSample(cpuSeconds: 1, residentBytes: 1000, memoryRatio: 0.95, threads: 3, openFDs: 4,
                                          processes: 1, sampledAt: 40)
        var reader = EngineReader(checks: [], rateWindow: 60)
        #expect(reader.read(status, now: 60).measurements.isEmpty)
    }

    @Test func shownAgesGrowAfterTheReadingAndCountsStand() {
        let reading = EngineReading(at: 100, values: [
            CheckValue(Catalog.decisionAge, 20, feeds: .value(.decisionAge)),
            CheckValue(Catalog.overduePositions, 2, feeds: .value(.overduePositions)),
        ])
        #expect(reading.value(reading.values[0], now: 107) == 27)
        #expect(reading.value(reading.values[1], now: 107) == 2)
    }
}
