import Foundation
import Synchronization
import Testing
@testable import WardenKit

/// Probes run on one grid per engine, so that two probes a check compares read at the same instants however
/// long their runs take, and the judge hears of a slot once all of it is on the board (the soak's false monitor
/// mismatches came from probes that had drifted apart, and from judging one new value against an old one).
struct ProbeScheduleTests {
    @Test func runsFallOnTheIntervalsGridAndSkipWhatAnOverrunMissed() {
        let epoch = ContinuousClock.now
        let half = Duration.milliseconds(500)
        func next(_ elapsed: Duration) -> Duration { ProbeRunner.nextRun(after: epoch + elapsed, epoch: epoch, interval: half) - epoch }
        #expect(next(.milliseconds(3)) == .milliseconds(500))       // a short run waits for its slot, not a full interval
        #expect(next(.milliseconds(499)) == .milliseconds(500))
        #expect(next(.milliseconds(500)) == .milliseconds(1000))    // never the slot it is in
        #expect(next(.milliseconds(2200)) == .milliseconds(2500))   // a 2 s timeout skips the slots it overran
        #expect(ProbeRunner.nextRun(after: epoch, epoch: epoch, interval: .zero) > epoch, "no busy loop")
    }

    @Test func enginesAreStaggeredAndOneEnginesProbesShareTheirStart() {
        let offsets = ProbeRunner.offsets([("a", .seconds(1)), ("b", .milliseconds(500)), ("a", .milliseconds(200)),
                                           ("c", .seconds(3)), ("b", .seconds(2))])
        #expect(offsets == ["a": .zero, "b": .milliseconds(500) / 3, "c": .seconds(2)])
    }

    @Test func aSlotIsCompleteWhenItsLastExpectedProbeHasPublished() {
        let gate = SlotGate()
        let slot = ContinuousClock.now
        gate.expect(slot)
        gate.expect(slot)
        gate.expect(slot + .seconds(1))
        #expect(!gate.done(slot), "the fast probe's value alone is half a slot")
        #expect(gate.done(slot))
        #expect(gate.done(slot + .seconds(1)), "a probe alone in its slot completes it")
    }

    /// A probe that counts its runs and takes `takes` to answer.
    final class TimedProbe: Probe {
        let name: String
        let interval: Duration
        var timeout: Duration { .seconds(5) }
        let takes: Duration
        let runs = Mutex(0)

        init(name: String, interval: Duration, takes: Duration) {
            (self.name, self.interval, self.takes) = (name, interval, takes)
        }

        func run() async -> Result<ProbeOutput, ProbeFailure> {
            runs.withLock { $0 += 1 }
            try? await Task.sleep(for: takes)
            return .success(.fileAge(0))
        }
    }

    /// Timing-light on purpose: on a machine busy with the rest of the suite a wake-up can be 100 ms late, so
    /// the test counts announcements instead of timing runs, and its slots are wide enough that a late wake-up
    /// does not make a probe skip one.
    @Test func theJudgeIsToldOncePerSlotNotOncePerProbe() async throws {
        let slow = TimedProbe(name: "db", interval: .milliseconds(300), takes: .milliseconds(30))
        let fast = TimedProbe(name: "status", interval: .milliseconds(300), takes: .zero)
        let told = Mutex(0)
        let runner = ProbeRunner(probes: [("demo", slow), ("demo", fast)], board: StatusBoard(engines: []),
                                 logger: .init(label: "test"), published: { _ in told.withLock { $0 += 1 } })
        let running = Task { await runner.run() }
        for _ in 0..<200 where fast.runs.withLock({ $0 }) < 8 || slow.runs.withLock({ $0 }) < 8 {
            try await Task.sleep(for: .milliseconds(50))
        }
        running.cancel()
        await running.value
        let (runs, announced) = (max(fast.runs.withLock { $0 }, slow.runs.withLock { $0 }), told.withLock { $0 })
        try #require(runs >= 8)
        // Once per probe run would be about twice the runs. A probe woken late on a busy machine skips a slot, and
        // its partner then completes that slot alone: a few more than the runs, never near twice as many.
        #expect(announced <= runs + runs / 2, "\(announced) announcements for \(runs) slots")
        #expect(announced >= runs - 2)
    }
}
