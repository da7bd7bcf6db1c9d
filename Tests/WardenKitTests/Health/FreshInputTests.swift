import Testing
@testable import WardenKit

/// When fresh input between two ticks is worth an evaluation of its own.
struct FreshInputTests {
    @Test func onlyAMovedRawLevelOfAProbeFedComponentIsWorthJudgingBeforeTheTick() {
        var tracker = HealthTracker(settings: HealthSettings())
        _ = tracker.evaluate([.positions: HealthTrackerTests.reading(.healthy), .resources: HealthTrackerTests.reading(.healthy)],
                             now: 0)
        #expect(!tracker.moved([.positions: HealthTrackerTests.reading(.healthy)]), "nothing new")
        #expect(tracker.moved([.positions: HealthTrackerTests.reading(.unhealthy)]), "a fault just seen")
        #expect(!tracker.moved([.positions: .noData]), "silence is for the tick (stale_input_after)")
        #expect(!tracker.moved([.resources: HealthTrackerTests.reading(.unhealthy)]),
                "CPU and contention are rates between ticks; resources and locks wait for the tick")
        #expect(tracker.moved([.api: HealthTrackerTests.reading(.healthy)]), "a component read for the first time")
    }
}
