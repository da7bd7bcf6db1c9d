import Foundation
import Synchronization

/// Every failure mode the demo engine can simulate, by the name used on the command line,
/// in `DEMO_ENGINE_FAULTS` and on the admin endpoint.
///
/// Each case reproduces one silent (or loud) failure from the incident write-ups, so that
/// Warden's detectors can be exercised one by one.
enum Fault: String, CaseIterable, Sendable, Comparable {
    /// The process dies at once with exit status 1.
    case crash
    /// Simulation, decisions and HTTP stop; the process stays alive with the same pid.
    case hang
    /// 8 MiB is allocated and touched every tick and never freed (capped at 1 GiB).
    case leakMemory = "leak_memory"
    /// The exit optimizer silently loses all its monitoring tasks; positions stay open past their planned close.
    case dropMonitoring = "drop_monitoring"
    /// Monitoring tasks stay alive but no longer close positions when they are due.
    case overduePositions = "overdue_positions"
    /// The market-data WebSocket stops delivering messages without reconnecting.
    case staleWs = "stale_ws"
    /// Partial take-profit lock rows are acquired and never released.
    case staleLocks = "stale_locks"
    /// Two callers race on the same partial take-profit stage (`lock_busy`, `recently_executed`).
    case lockContention = "lock_contention"
    /// One extra broker connection per tick, never closed, until the broker refuses.
    case connectionFlood = "connection_flood"
    /// The WebSocket price drifts 5% away from mark and last trade, so the three PnLs disagree.
    case pnlDivergence = "pnl_divergence"
    /// Protective stop rows are cancelled and new positions are opened without any.
    case removeStops = "remove_stops"
    /// The engine keeps deciding but its DECISION lines never reach stdout.
    case silentDecisions = "silent_decisions"

    static func < (lhs: Fault, rhs: Fault) -> Bool { lhs.rawValue < rhs.rawValue }

    static var validNames: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The set of active faults, shared between the simulation actor and the HTTP handlers.
///
/// A `Mutex` rather than actor state because every loop checks it on every step and the
/// `hang` gate must be readable without hopping onto the (possibly parked) engine actor.
final class FaultBoard: Sendable {
    private let active = Mutex<Set<Fault>>([])

    func isActive(_ fault: Fault) -> Bool {
        active.withLock { $0.contains(fault) }
    }

    /// Returns true if the fault was not active before.
    @discardableResult
    func insert(_ fault: Fault) -> Bool {
        active.withLock { $0.insert(fault).inserted }
    }

    /// Returns true if the fault was active before.
    @discardableResult
    func remove(_ fault: Fault) -> Bool {
        active.withLock { $0.remove(fault) != nil }
    }

    var activeNames: [String] {
        active.withLock { $0.sorted().map(\.rawValue) }
    }

    /// Suspends the caller for as long as `hang` is active.
    ///
    /// This is how `hang` freezes the engine without freezing the process: every loop and every
    /// HTTP handler passes through here, so nothing progresses, yet the pid, the sockets and the
    /// signal handlers stay alive, exactly like a deadlocked engine.
    func waitWhileHung() async {
        while isActive(.hang) {
            do {
                try await Task.sleep(for: .milliseconds(100))
            } catch {
                // Cancelled (e.g. the HTTP client gave up): a hung engine does not notice.
                await parkForever()
            }
        }
    }
}

/// Never returns: the continuation is deliberately never resumed.
private func parkForever() async -> Never {
    await withUnsafeContinuation { (_: UnsafeContinuation<Void, Never>) in }
    fatalError("unreachable: a parked task was resumed")
}

/// Side effects of faults that are not a branch inside the simulation.
enum FaultEffects {
    /// `crash`: the loudest failure, the only one a plain process supervisor would notice.
    static func crash() -> Never {
        Console.error("FATAL: simulated crash")
        exit(1)
    }

    static let leakChunkBytes = 8 << 20
    static let leakCapBytes = 1 << 30

    /// Every leaked chunk. A chunk whose pointer is simply dropped is no leak in a release build: the optimizer
    /// sees a malloc that nothing reads and removes it with its memset, and `leak_memory` would do nothing in a
    /// release build. Only the engine actor touches this.
    nonisolated(unsafe) private static var chunks: [UnsafeMutableRawPointer] = []

    /// `leak_memory`: allocates one chunk, writes every page so it counts in RSS, and never frees it.
    /// Returns the number of bytes leaked (0 once the cap is reached).
    static func leakChunk(alreadyLeaked: Int) -> Int {
        guard alreadyLeaked + leakChunkBytes <= leakCapBytes else { return 0 }
        guard let chunk = malloc(leakChunkBytes) else { return 0 }
        memset(chunk, 0xA5, leakChunkBytes)
        chunks.append(chunk)
        return leakChunkBytes
    }
}
