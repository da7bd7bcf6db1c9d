import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit
import Logging
import ServiceLifecycle

// Waiting on observable outcomes.

/// Polls `condition` until it holds or `timeout` passes. Tests wait on observable outcomes, never on sleeps.
/// `what` is evaluated only on failure, so it may quote a log as it is by then. The default is generous: it
/// costs nothing when the outcome comes, and two cores running the whole suite can be many seconds late.
func eventually(timeout: Duration = .seconds(30), every pause: Duration = .milliseconds(25), _ what: @autoclosure () -> String,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: pause)
    }
    Issue.record("timed out after \(timeout) waiting until \(what())")
    throw TimedOut()
}

struct TimedOut: Error {}

/// True when no live process has this pid (a zombie awaiting its reaper counts as gone).
func isGone(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    let stat = ProcSystem.read("/proc/\(pid)/stat").flatMap(ProcStat.parse)
    return stat == nil || stat?.state == "Z" || stat?.state == "X"
}
