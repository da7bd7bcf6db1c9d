import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs every probe of every engine on its own interval and publishes each outcome to the status board.
/// One slow or failing probe never delays another: each has its own task.
///
/// An engine's probes run on one grid: a probe's runs fall on whole multiples of its interval from the
/// engine's start instant, not one interval after its previous run ended. Probes with equal (or commensurate)
/// intervals therefore read at the same instants for as long as Warden runs. Checks compare values from two
/// probes (open positions from the database, monitored ones from the status endpoint); read half an interval
/// apart, a position that opens or closes in between reads as a monitor mismatch. Sleeping an interval after
/// each run would let the probes drift apart by the difference of their run times, until after an hour they
/// read at any phase and report false mismatches in quiet stretches (docs/RELIABILITY.md).
///
/// For the same reason the judge is told once per slot, when the last probe that ran in it has published,
/// not after each probe: it would otherwise judge the fast probe's new value against its partner's old one.
/// Engines' grids are staggered across the shortest interval, so that many engines do not all query at once.
public struct ProbeRunner: Service {
    let probes: [(engine: String, probe: any Probe)]
    let board: StatusBoard
    let logger: Logger
    /// Told the engine's name once every probe that ran in a slot has its outcome on the board
    /// (`StatusBoard.announce`, which wakes the engine's judge).
    let published: @Sendable (String) -> Void

    /// Each probe's loop beats after every run: a probe stuck past twice its interval and timeout is a stalled
    /// Warden.
    let liveness: Liveness?
    /// Each engine's grid, kept across reloads: a runner that replaces another goes on at the next instant of
    /// the same grid, so no slot is skipped and none is run twice.
    let grids: ProbeGrids

    public init(probes: [(engine: String, probe: any Probe)], board: StatusBoard, logger: Logger,
                liveness: Liveness? = nil, grids: ProbeGrids = ProbeGrids(),
                published: @escaping @Sendable (String) -> Void = { _ in }) {
        self.probes = probes
        self.grids = grids
        self.liveness = liveness
        self.board = board
        self.logger = logger
        self.published = published
    }

    public func run() async {
        let now = ContinuousClock.now
        let epochs = grids.epochs(Self.offsets(probes.map { ($0.engine, $0.probe.interval) }).mapValues { now + $0 })
        let gates = epochs.mapValues { _ in SlotGate() }
        // A probe that ran under an earlier runner goes on at the slot after its last run, even when that slot
        // passed during the handover: it runs late rather than not at all.
        let firstSlots = probes.map { engine, probe in
            Self.nextRun(after: grids.lastSlot(of: probe.name, engine: engine) ?? now - .nanoseconds(1),
                         epoch: epochs[engine] ?? now, interval: probe.interval)
        }
        // Every probe is expected in its first slot before any of them can finish it.
        for ((engine, _), slot) in zip(probes, firstSlots) { gates[engine]?.expect(slot) }
        await withDiscardingTaskGroup { group in
            for ((engine, probe), slot) in zip(probes, firstSlots) {
                let (epoch, gate) = (epochs[engine] ?? now, gates[engine] ?? SlotGate())
                group.addTask { await loop(engine: engine, probe: probe, epoch: epoch, first: slot, gate: gate) }
            }
        }
    }

    /// Where each engine's grid starts: the n-th of N engines n/N of its shortest interval after the first.
    static func offsets(_ intervals: [(engine: String, interval: Duration)]) -> [String: Duration] {
        var engines: [String] = []
        for (engine, _) in intervals where !engines.contains(engine) { engines.append(engine) }
        var offsets: [String: Duration] = [:]
        for (index, engine) in engines.enumerated() {
            let shortest = intervals.filter { $0.engine == engine }.map(\.interval).min() ?? .zero
            offsets[engine] = shortest * index / engines.count
        }
        return offsets
    }

    /// The first run time on `interval`'s grid from `epoch` that is later than `now`. A run that overran its
    /// interval skips the slots it missed rather than running them back to back.
    public static func nextRun(after now: ContinuousClock.Instant, epoch: ContinuousClock.Instant,
                               interval: Duration) -> ContinuousClock.Instant {
        guard now >= epoch else { return epoch }
        let interval = max(interval, .milliseconds(1))   // the config refuses zero; never a busy loop
        let next = epoch + interval * (Int(((now - epoch) / interval).rounded(.down)) + 1)
        return next > now ? next : next + interval
    }

    private func loop(engine: String, probe: any Probe, epoch: ContinuousClock.Instant, first: ContinuousClock.Instant,
                      gate: SlotGate) async {
        let name = "probe \(engine)/\(probe.name)"
        // Registered from the runner's start: the first run may wait up to one interval for its slot.
        liveness?.register(name, period: probe.interval + probe.timeout + max(first - .now, .zero))
        defer { liveness?.retire(name) }
        var lastFailure: String?
        var slot = first
        try? await cancelWhenGracefulShutdown { try await Task.sleep(until: first, clock: .continuous) }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let outcome = await Self.runOnce(probe)
            liveness?.beat(name)
            board.update(engine) { $0.observations.probes[probe.name] = outcome.following($0.observations.probes[probe.name]) }
            grids.ran(probe.name, engine: engine, slot: slot)
            let next = Self.nextRun(after: .now, epoch: epoch, interval: probe.interval)
            gate.expect(next)
            if gate.done(slot) { published(engine) }
            slot = next
            // Said once when it starts failing, again when the reason changes, and once on recovery: the
            // reason names the place (table, column, URL) and must reach a person, not only a 0 on /metrics.
            if outcome.failure != lastFailure {
                let metadata: Logger.Metadata = ["engine": "\(engine)", "probe": "\(probe.name)"]
                if let failure = outcome.failure {
                    logger.warning("probe failing: \(failure)", metadata: metadata)
                } else {
                    logger.info("probe recovered", metadata: metadata)
                }
                lastFailure = outcome.failure
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(until: next, clock: .continuous) }
        }
    }

    /// Times one run; a failed run keeps no output.
    public static func runOnce(_ probe: any Probe) async -> ProbeOutcome {
        let started = ContinuousClock.now
        let result = await probe.run()
        let duration = (ContinuousClock.now - started).seconds
        let now = Date().timeIntervalSince1970
        switch result {
        case .success(let output):
            return ProbeOutcome(success: true, durationSeconds: duration, at: now, failure: nil, output: output)
        case .failure(let failure):
            return ProbeOutcome(success: false, durationSeconds: duration, at: now, failure: failure.description, output: .none)
        }
    }
}

/// Where each engine's probe grid starts, and the slot each probe last ran in. The first runner places a new
/// engine's grid (staggered from the others); every later runner keeps it, and starts each probe at the slot
/// after its last run.
public final class ProbeGrids: Sendable {
    private let starts = Mutex<[String: ContinuousClock.Instant]>([:])
    private let lastSlots = Mutex<[String: ContinuousClock.Instant]>([:])

    public init() {}

    func ran(_ probe: String, engine: String, slot: ContinuousClock.Instant) {
        lastSlots.withLock { $0[engine + "/" + probe] = slot }
    }

    func forget(_ engine: String) {
        starts.withLock { _ = $0.removeValue(forKey: engine) }
        lastSlots.withLock { $0 = $0.filter { !$0.key.hasPrefix(engine + "/") } }
    }

    func lastSlot(of probe: String, engine: String) -> ContinuousClock.Instant? {
        lastSlots.withLock { $0[engine + "/" + probe] }
    }

    /// The grid of each engine in `proposed`: the one it already has, or the proposed start.
    func epochs(_ proposed: [String: ContinuousClock.Instant]) -> [String: ContinuousClock.Instant] {
        starts.withLock { starts in
            for (engine, start) in proposed where starts[engine] == nil { starts[engine] = start }
            return proposed.keys.reduce(into: [:]) { $0[$1] = starts[$1] }
        }
    }
}

/// The probes of one engine expected in each slot of its grid: a slot is complete when the last of them has
/// published. A probe still running from an earlier slot is not expected in the ones it overruns.
final class SlotGate: Sendable {
    private let pending = Mutex<[ContinuousClock.Instant: Int]>([:])

    func expect(_ slot: ContinuousClock.Instant) {
        pending.withLock { $0[slot, default: 0] += 1 }
    }

    /// One expected probe has published its run in `slot`; true when it was the last.
    func done(_ slot: ContinuousClock.Instant) -> Bool {
        pending.withLock { pending in
            let left = (pending[slot] ?? 1) - 1
            pending[slot] = left > 0 ? left : nil
            return left <= 0
        }
    }
}

/// Applies each engine's log rules to the lines it prints and publishes heartbeats and counters.
public struct LogWatcher: Service {
    let engine: String
    let rules: LogRuleSet
    let lines: AsyncStream<LogLine>
    let board: StatusBoard

    /// Subscribe before the engine starts, so that no early line escapes the rules.
    public init(engine: String, rules: LogRuleSet, broadcast: LogLineBroadcast, board: StatusBoard) {
        self.engine = engine
        self.rules = rules
        self.lines = broadcast.subscribe()
        self.board = board
        let initial = rules.initialState
        board.update(engine) { $0.observations.logs = initial }
    }

    public func run() async {
        await cancelWhenGracefulShutdown { await consume() }
    }

    private func consume() async {
        var state = rules.initialState
        for await line in lines {
            let before = state
            rules.apply(line, to: &state)
            if state != before {
                let snapshot = state
                board.update(engine) { $0.observations.logs = snapshot }
            }
        }
    }
}
