import Foundation
import Testing
@testable import WardenKit

/// Probes run on one grid, so that two probes a check compares read at the same instants however long their
/// runs take (the soak's false monitor mismatches came from probes that had drifted apart). The runner's loop
/// sleeps until `nextRun`; it is not timed here, because on a machine busy with the rest of the suite a wake-up
/// can be 100 ms late. The soak shows it over an hour (docs/RELIABILITY.md).
struct ProbeScheduleTests {
    @Test func runsFallOnTheIntervalsGridAndSkipWhatAnOverrunMissed() {
        let epoch = ContinuousClock.now
        let half = Duration.milliseconds(500)
        func next(_ elapsed: Duration) -> Duration { ProbeRunner.nextRun(after: epoch + elapsed, epoch: epoch, interval: half) - epoch }
        #expect(next(.milliseconds(3)) == .milliseconds(500))       // a short run waits for its slot, not a full interval
        #expect(next(.milliseconds(499)) == .milliseconds(500))
        #expect(next(.milliseconds(500)) == .milliseconds(1000))    // never the slot it is in
        #expect(next(.milliseconds(2200)) == .milliseconds(2500))   // a 2 s timeout skips the slots it overran
    }
}
