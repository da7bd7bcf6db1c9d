import Testing
@testable import WardenKit

/// The hysteresis of the four-level state machine, driven by raw level sequences.
struct HealthTrackerTests {
    typealias L = HealthLevel

    static func reading(_ level: L, urgent: Bool = false) -> ComponentInput {
        .reading(Reading([Finding(check: .monitorMismatch, level: level, value: Double(level.rawValue), threshold: 1,
                                  message: "mismatch \(level.rawValue)")], urgent: urgent))
    }

    /// Default settings, judged every second: the tests below step the clock by one tick.
    static var everySecond: HealthSettings {
        var settings = HealthSettings()
        settings.evaluateEvery = .seconds(1)
        return settings
    }

    /// Feeds raw levels one evaluation (one second) apart and returns the believed level after each.
    static func run(_ raw: [L], escalate: Int = 3, recover: Int = 3) -> [L] {
        var settings = everySecond
        settings.escalateAfter = escalate
        settings.recoverAfter = recover
        var tracker = HealthTracker(settings: settings)
        return raw.enumerated().map { index, level in
            _ = tracker.evaluate([.positions: reading(level)], now: Double(index))
            return tracker.components[.positions]!.level
        }
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var raw: [L]
        var expected: [L]
        var escalate = 3
        var recover = 3
        var testDescription: String { raw.map { String($0.rawValue) }.joined() }
    }

    static let h = L.healthy, d = L.degraded, u = L.unhealthy, c = L.critical

    @Test(arguments: [
        // Up after three evaluations at the level, down after three good ones.
        Case(raw: [h, u, u, u, u, h, h, h], expected: [h, h, h, u, u, u, u, h]),
        // Flapping every evaluation never moves the level.
        Case(raw: [h, u, h, u, h, u, h, u, h, u], expected: [h, h, h, h, h, h, h, h, h, h]),
        // Two bad, one good, two bad: still no escalation (the streak restarts).
        Case(raw: [u, u, h, u, u, h], expected: [h, h, h, h, h, h]),
        // A mixed rise settles on the lowest level that held all along.
        Case(raw: [u, c, c, c, c, c], expected: [h, h, u, u, u, c]),
        // A partial recovery settles on the highest level seen while falling.
        Case(raw: [c, c, c, h, d, h, h], expected: [h, h, c, c, c, d, d]),
        // One bad reading while recovering restarts the recovery count.
        Case(raw: [u, u, u, h, h, u, h, h, h], expected: [h, h, u, u, u, u, u, u, h]),
        // escalate_after 1 reacts at once; recover_after 5 is slow to trust.
        Case(raw: [u, h, h, h, h, h], expected: [u, u, u, u, u, h], escalate: 1, recover: 5),
    ])
    func levelSequences(_ test: Case) {
        #expect(Self.run(test.raw, escalate: test.escalate, recover: test.recover) == test.expected)
    }

    @Test func urgentFactsSkipTheHysteresis() {
        var tracker = HealthTracker(settings: HealthSettings())
        let transitions = tracker.evaluate([.process: Self.reading(.critical, urgent: true)], now: 5)
        #expect(transitions == [HealthTransition(component: .process, from: .healthy, to: .critical, at: 5,
                                                 finding: Finding(check: .monitorMismatch, level: .critical, value: 3,
                                                                  threshold: 1, message: "mismatch 3"))])
        #expect(tracker.level == .critical)
    }

    @Test func transitionsNameTheFindingAndRecoveryReportsTheSameValue() {
        var tracker = HealthTracker(settings: Self.everySecond)
        let bad = ComponentInput.reading(Reading([
            .judged(.monitorMismatch, 6, Threshold(unhealthy: 1)),
            .judged(.overduePositions, 0, Threshold(unhealthy: 1)),
        ]))
        var all: [HealthTransition] = []
        for t in 0..<3 { all += tracker.evaluate([.positions: bad], now: Double(t)) }
        #expect(all.map(\.to) == [.unhealthy])
        #expect(all.first?.reason == "monitor mismatch 6 (UNHEALTHY at ≥ 1)")
        #expect(tracker.components[.positions]?.since == 2)

        let good = ComponentInput.reading(Reading([
            .judged(.overduePositions, 0, Threshold(unhealthy: 1)),
            .judged(.monitorMismatch, 0, Threshold(unhealthy: 1)),
        ]))
        all = []
        for t in 3..<6 { all += tracker.evaluate([.positions: good], now: Double(t)) }
        #expect(all.map(\.to) == [.healthy])
        #expect(all.first?.reason == "monitor mismatch 0", "the recovery speaks of the value that was bad")
    }

    /// The judge evaluates early on fresh input; a burst of early evaluations is not the ticks it would take.
    @Test func evaluationsCountAsTicksHoweverManyComeBetween() {
        var tracker = HealthTracker(settings: HealthSettings())   // every 10 s, escalate and recover after 3
        func judge(_ level: L, at now: Double) -> [L] { tracker.evaluate([.positions: Self.reading(level)], now: now).map(\.to) }
        // A momentary mismatch read by five evaluations in 40 ms, then gone: nothing to believe.
        for now in stride(from: 0.0, through: 0.04, by: 0.01) { #expect(judge(.unhealthy, at: now).isEmpty) }
        #expect(judge(.healthy, at: 0.05).isEmpty && tracker.level == .healthy)
        // A real one: seen early, then at each tick; believed once it has held for two ticks after it was seen.
        #expect(judge(.unhealthy, at: 1).isEmpty && judge(.unhealthy, at: 1.01).isEmpty && judge(.unhealthy, at: 11).isEmpty)
        #expect(judge(.unhealthy, at: 21) == [.unhealthy])
        // Recovery waits its two ticks just the same.
        #expect(judge(.healthy, at: 22).isEmpty && judge(.healthy, at: 22.5).isEmpty && judge(.healthy, at: 23).isEmpty)
        #expect(judge(.healthy, at: 32).isEmpty && judge(.healthy, at: 42) == [.healthy])
        // Ticks are timed on the monotonic clock and `now` is the wall clock: a tick a little short still counts.
        #expect(judge(.unhealthy, at: 50).isEmpty && judge(.unhealthy, at: 59.95).isEmpty)
        #expect(judge(.unhealthy, at: 69.9) == [.unhealthy])
        // A wall clock stepped back does not hold the count until it has caught up.
        #expect(judge(.healthy, at: 70).isEmpty && judge(.healthy, at: 30).isEmpty && judge(.healthy, at: 40) == [.healthy])
    }

    @Test func aTickCountsOnceANinthOfATickIsSlack() {
        var count = TickCount()
        let tick = Duration.seconds(10)
        #expect([0, 1, 8.9, 9, 17.9, 18.1, 100].map { count.add(at: $0, tick: tick) } == [1, 1, 1, 2, 2, 3, 4])
        count.reset()
        #expect(count.add(at: 100.5, tick: tick) == 1)
    }

    @Test func notJudgedAndMissingDataNeverLowerALevel() {
        var settings = Self.everySecond
        settings.staleInputAfter = .seconds(60)
        var tracker = HealthTracker(settings: settings)
        for t in 0..<3 { _ = tracker.evaluate([.locks: Self.reading(.unhealthy)], now: Double(t)) }
        #expect(tracker.level == .unhealthy)
        // The engine restarts: nothing is judged and nothing moves.
        for t in 3..<10 { _ = tracker.evaluate([.locks: .notJudged], now: Double(t)) }
        #expect(tracker.level == .unhealthy)
        // Then no value at all for minutes: blind is not better.
        var transitions: [HealthTransition] = []
        for t in stride(from: 10.0, through: 300, by: 10) { transitions += tracker.evaluate([.locks: .noData], now: t) }
        #expect(transitions.isEmpty && tracker.level == .unhealthy)
        #expect(tracker.components[.locks]?.reading?.worst?.check == .inputMissing, "the status shows the input is missing")
    }

    @Test func missingDataBecomesDegradedAfterTheGrace() {
        var settings = HealthSettings()
        settings.staleInputAfter = .seconds(60)
        var tracker = HealthTracker(settings: settings)
        _ = tracker.evaluate([.locks: Self.reading(.healthy)], now: 9)
        var transitions: [HealthTransition] = []
        for t in stride(from: 10.0, through: 100, by: 10) { transitions += tracker.evaluate([.locks: .noData], now: t) }
        #expect(transitions.map(\.to) == [.degraded])
        #expect(transitions.first?.finding?.check == .inputMissing)
        #expect(tracker.components[.locks]?.since == 90, "missing from t=9: first stale at 70, degraded after 3 evaluations")
    }

    @Test func aMixedRiseNamesAFindingAndAPartialRecoveryNamesWhatHoldsIt() {
        var tracker = HealthTracker(settings: Self.everySecond)
        func reading(_ mismatch: Double, _ unprotected: Double) -> ComponentInput {
            .reading(Reading([.judged(.monitorMismatch, mismatch, Threshold(unhealthy: 1)),
                              .judged(.unprotectedPositions, unprotected, Threshold(degraded: 1, critical: 5))]))
        }
        var transitions: [HealthTransition] = []
        for (t, input) in [reading(0, 9), reading(3, 0), reading(0, 9)].enumerated() {
            transitions += tracker.evaluate([.positions: input], now: Double(t))
        }
        #expect(transitions.map(\.to) == [.unhealthy])
        #expect(transitions.first?.finding?.check == .unprotectedPositions, "CRITICAL holds UNHEALTHY: no finding is exactly at it")
        for t in 3..<6 { transitions += tracker.evaluate([.positions: reading(0, 2)], now: Double(t)) }
        #expect(transitions.map(\.to) == [.unhealthy, .degraded])
        #expect(tracker.components[.positions]?.cause?.message == "unprotected positions 2 (DEGRADED at ≥ 1)")
    }

    /// The failures rose past DEGRADED's bound for three ticks and reached UNHEALTHY's on the third: the
    /// transition announces DEGRADED, and its words quote DEGRADED's bound, not UNHEALTHY's.
    @Test func aTransitionQuotesTheBoundOfTheLevelItAnnounces() {
        var tracker = HealthTracker(settings: Self.everySecond)
        let threshold = HealthCheck.apiFailures.defaultThreshold
        var transitions: [HealthTransition] = []
        for (t, failures) in [1.0, 2, 3].enumerated() {
            var finding = Finding.judged(.apiFailures, failures, threshold, subject: "ping")
            finding.message += ": connection refused"
            transitions += tracker.evaluate([.api: .reading(Reading([finding]))], now: Double(t))
        }
        #expect(transitions.map(\.to) == [.degraded])
        #expect(transitions.first?.reason == "api failures (ping) 3 (DEGRADED at ≥ 1): connection refused")
        #expect(transitions.first?.finding?.threshold == 1)
        #expect(tracker.components[.api]?.cause?.level == .degraded)
    }
}
