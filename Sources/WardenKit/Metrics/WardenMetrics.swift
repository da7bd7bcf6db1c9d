import Foundation
import NIOCore
import Synchronization

/// Renders `/metrics` from the state Warden already keeps: each family is collected at scrape time from its
/// single owner (the status board, the store, /proc/self), so nothing is counted twice. A scrape runs no check:
/// the checks' values are those of each engine's latest reading, with ages grown to the scrape's instant.
public struct WardenMetrics: Sendable {
    let version: String
    let revision: String
    /// The config's `instance`, the `instance_name` label of `warden_build_info`.
    let instance: String
    let board: StatusBoard
    let store: WardenStore?
    let system: ProcSystem
    /// The action kinds each engine's remediation can take (as configured now): their counters start at 0.
    let actionKinds: @Sendable () -> [String: Set<String>]
    let alertStats: AlertStats?
    let reloads: ReloadRecord?
    let heartbeatStats: HeartbeatStats?

    public init(version: String, revision: String = WardenVersion.revision, instance: String = ProcessInfo.processInfo.hostName, board: StatusBoard, store: WardenStore?, system: ProcSystem,
                actionKinds: @escaping @Sendable () -> [String: Set<String>] = { [:] }, alertStats: AlertStats? = nil,
                reloads: ReloadRecord? = nil, heartbeatStats: HeartbeatStats? = nil) {
        self.alertStats = alertStats
        self.reloads = reloads
        self.heartbeatStats = heartbeatStats
        self.instance = instance
        self.version = version
        self.revision = revision
        self.board = board
        self.store = store
        self.system = system
        self.actionKinds = actionKinds
    }

    /// The buffer of the last exposition, kept so that the next scrape can write into the same memory once the
    /// response has let go of it (instead of allocating, and faulting in, a fresh 100 KB or more).
    private let spare = SpareBuffer()
    /// Each engine's lines of the families that are most of a scrape (every series present from 0), reused until
    /// the engine's status changes.
    private let restartParts = PartCache(Catalog.engineRestarts)
    private let levelParts = PartCache(Catalog.healthLevel)
    private let transitionParts = PartCache(Catalog.healthTransitions)
    private let remediationParts = PartCache(Catalog.remediations)

    public func render(now: Double = Date().timeIntervalSince1970) -> String {
        String(buffer: renderBuffer(now: now))
    }

    /// The exposition as the HTTP response carries it.
    public func renderBuffer(now: Double = Date().timeIntervalSince1970) -> ByteBuffer {
        var out = ExpositionWriter(into: spare.take())
        defer { spare.keep(out.buffer) }
        out.write(Catalog.buildInfo, [.init([version, revision, instance], 1)])
        if let store { out.write(Catalog.storeWriteFailures, Double(store.writeFailures)) }
        if let reloads {
            let last = reloads.last
            out.write(Catalog.configReloadSuccessful, last.successful ? 1 : 0)
            out.write(Catalog.configReloadSuccessTime, last.successAt)
        }

        let engines = board.snapshot()
        func perEngine(_ family: MetricFamily, _ value: (EngineStatus) -> Double?) {
            out.write(family) { out in
                for engine in engines {
                    if let value = value(engine) { out.sample(family, engine.name, value: value) }
                }
            }
        }
        perEngine(Catalog.engineUp) { $0.isUp ? 1 : 0 }
        restartParts.write(engines, into: &out) { engine, out in
            // Every reason is always present, so that rate() sees a series start from 0.
            for reason in RestartReason.allCases {
                out.sample(Catalog.engineRestarts, engine.name, [reason.rawValue], value: Double(engine.restartCounts[reason] ?? 0))
            }
        }
        perEngine(Catalog.engineStartTime) { $0.startedAt ?? 0 }
        perEngine(Catalog.engineBackoff) { $0.backoffRemaining(now: now) }
        perEngine(Catalog.engineBudgetRemaining) { Double($0.ledger.remaining(now: now)) }
        perEngine(Catalog.engineGaveUp) { $0.gaveUp ? 1 : 0 }
        perEngine(Catalog.engineMaintenance) { $0.maintenance == nil ? 0 : 1 }
        perEngine(Catalog.engineCPU) { $0.resources?.cpuSeconds }
        // A stopped engine uses nothing, whatever the last sample said before it stopped.
        func resource(_ family: MetricFamily, _ value: (ResourceSample) -> Double) {
            perEngine(family) { engine in engine.resources.map { engine.isUp ? value($0) : 0 } }
        }
        resource(Catalog.engineRSS) { Double($0.residentBytes) }
        resource(Catalog.engineMemoryRatio) { $0.memoryRatio }
        resource(Catalog.engineThreads) { Double($0.threads) }
        resource(Catalog.engineOpenFDs) { Double($0.openFDs) }
        resource(Catalog.engineProcesses) { Double($0.processes) }
        writeObservations(engines, now: now, into: &out)
        writeHealth(engines, into: &out)
        writeAlerts(into: &out)
        if let heartbeat = heartbeatStats?.snapshot {
            out.write(Catalog.heartbeatPings, [.init(["failed"], Double(heartbeat.failed)), .init(["ok"], Double(heartbeat.ok))])
            out.write(Catalog.heartbeatLastSuccess, heartbeat.lastSuccess ?? 0)
        }

        writeSelf(into: &out)
        return out.buffer
    }

    /// Probe results and log rules from each engine's latest observations, and the values of its latest reading.
    private func writeObservations(_ engines: [EngineStatus], now: Double, into out: inout ExpositionWriter) {
        let observed = ObservedSamples(engines, now: now)
        let names = engines.map(\.name)
        for (position, family) in Catalog.observed.enumerated() {
            out.write(family) { out in
                for sample in observed.samples(at: position) {
                    out.sample(family, names[sample.engine], sample.labels, value: sample.value)
                }
            }
        }
    }

    /// Levels after hysteresis and the counters of transitions and actions, each series present from 0.
    private func writeHealth(_ engines: [EngineStatus], into out: inout ExpositionWriter) {
        levelParts.write(engines, into: &out) { engine, out in
            for (component, health) in engine.health.components.sorted(by: { $0.key < $1.key }) {
                out.sample(Catalog.healthLevel, engine.name, [component.rawValue], value: Double(health.level.rawValue))
            }
        }
        out.write(Catalog.engineHealthLevel) { out in
            for engine in engines where engine.health.evaluatedAt != nil {
                out.sample(Catalog.engineHealthLevel, engine.name, value: Double(engine.health.level.rawValue))
            }
        }
        transitionParts.write(engines, into: &out) { engine, out in
            let counts = engine.health.transitionCounts
            for component in engine.health.components.keys.sorted() {
                for level in HealthLevel.allCases {
                    out.sample(Catalog.healthTransitions, engine.name, [component.rawValue, level.name],
                               value: Double(counts[component]?[level] ?? 0))
                }
            }
        }
        let configuredKinds = actionKinds()
        remediationParts.write(engines, into: &out) { engine, out in
            let counts = engine.remediation.counts
            for kind in (configuredKinds[engine.name] ?? []).union(counts.keys).sorted() {
                for result in ActionResult.allCases {
                    out.sample(Catalog.remediations, engine.name, [kind, result.rawValue], value: Double(counts[kind]?[result] ?? 0))
                }
            }
        }
    }

    private func writeAlerts(into out: inout ExpositionWriter) {
        guard let stats = alertStats?.snapshot else { return }
        typealias Sample = ExpositionWriter.Sample
        let channels = stats.sorted { $0.key < $1.key }
        out.write(Catalog.alerts, channels.flatMap { name, channel in
            channel.results.sorted { $0.key < $1.key }.map { Sample([name, $0.key], Double($0.value)) }
        })
        out.write(Catalog.alertQueueDepth, channels.map { Sample([$0.key], Double($0.value.queueDepth)) })
        out.write(Catalog.alertDeliveryLatency, histograms: channels.map { name, channel in
            .init(labels: [name], buckets: zip(AlertStats.latencyBuckets, channel.buckets).map { ($0, $1) },
                  sum: channel.latencySum, count: channel.latencyCount)
        })
    }

    /// The standard `process_*` metrics of Warden itself, as the Go and Python clients expose them.
    private func writeSelf(into out: inout ExpositionWriter) {
        guard let text = ProcSystem.read("/proc/self/stat"), let me = ProcStat.parse(text) else { return }
        out.write(Catalog.processCPU, Double(me.cpuTicks) / system.ticksPerSecond)
        out.write(Catalog.processRSS, Double(me.residentPages * system.pageSize))
        out.write(Catalog.processVirtual, Double(me.virtualBytes))
        out.write(Catalog.processStart, system.bootTime + Double(me.startTicks) / system.ticksPerSecond)
        out.write(Catalog.processOpenFDs, Double(system.openFDs(pid: me.pid)))
        if let max = ProcSystem.openFileLimit() {
            out.write(Catalog.processMaxFDs, Double(max))
        }
        out.write(Catalog.processThreads, Double(me.threads))
    }
}

/// One buffer handed from a scrape to the next. A buffer still held by a response being sent is not written
/// over: `clear()` gives it new storage then.
private final class SpareBuffer: Sendable {
    private let buffer = Mutex<ByteBuffer?>(nil)

    func take() -> ByteBuffer {
        guard var spare = buffer.withLock({ $0.take() }) else { return ByteBufferAllocator().buffer(capacity: 8192) }
        spare.clear()
        return spare
    }

    func keep(_ written: ByteBuffer) {
        buffer.withLock { $0 = written }
    }
}

/// One family's lines of each engine, kept with the engine's revision on the board and reused while it is the
/// same: a revision compares far more cheaply than dozens of lines are written. The lines must depend on nothing
/// that changes apart from the engine's status (not on the scrape's instant, say).
private final class PartCache: Sendable {
    private struct Part: Sendable {
        var revision: Int
        var lines: ByteBuffer
    }

    let family: MetricFamily
    private let parts = Mutex<[String: Part]>([:])

    init(_ family: MetricFamily) {
        self.family = family
    }

    /// Writes the family: for each engine its kept lines, or those `samples` writes when its status changed.
    func write(_ engines: [EngineStatus], into out: inout ExpositionWriter,
               samples: (EngineStatus, inout ExpositionWriter) -> Void) {
        out.write(family) { out in
            for engine in engines {
                if let part = parts.withLock({ $0[engine.name] }), part.revision == engine.revision {
                    out.append(part: part.lines)
                    continue
                }
                var lines = ExpositionWriter(capacity: 1024)
                samples(engine, &lines)
                parts.withLock { $0[engine.name] = Part(revision: engine.revision, lines: lines.buffer) }
                out.append(part: lines.buffer)
            }
        }
    }
}

/// Every engine's probe, log-rule and reading values, in the order `/metrics` shows them: by family (in
/// `Catalog.observed` order), within a family engine by engine, and for one engine its probes and rules by name,
/// then its reading's values in check order.
private struct ObservedSamples {
    struct Sample {
        /// The engine's position in the list the samples were taken from.
        var engine: Int
        var labels: [String]
        var value: Double
    }

    private static let positions = Dictionary(uniqueKeysWithValues: Catalog.observed.enumerated().map { ($1.name, $0) })
    private static let probeSuccess = positions[Catalog.probeSuccess.name]!
    private static let probeDuration = positions[Catalog.probeDuration.name]!
    private static let heartbeatFileAge = positions[Catalog.heartbeatFileAge.name]!
    private static let logRuleMatches = positions[Catalog.logRuleMatches.name]!
    private static let logRuleLastMatch = positions[Catalog.logRuleLastMatch.name]!

    private var samples: [Sample] = []
    /// The samples of the family at position `p` are `samples[starts[p] ..< starts[p + 1]]`.
    private var starts: [Int]

    init(_ engines: [EngineStatus], now: Double) {
        var taken: [(family: Int, sample: Sample)] = []
        for (index, engine) in engines.enumerated() {
            func add(_ position: Int, _ labels: [String], _ value: Double) {
                taken.append((position, Sample(engine: index, labels: labels, value: value)))
            }
            for (name, stored) in engine.observations.probes.sorted(by: { $0.key < $1.key }) {
                let outcome = stored.current(now: now)
                add(Self.probeSuccess, [name], outcome.success ? 1 : 0)
                add(Self.probeDuration, [name], outcome.durationSeconds)
                if case .fileAge(let age) = outcome.output {
                    // Aged to now: a file last touched 10 s before a probe 5 s ago is 15 s old.
                    add(Self.heartbeatFileAge, [name], age + max(0, now - outcome.at))
                }
            }
            for (rule, count) in engine.observations.logs.counts.sorted(by: { $0.key < $1.key }) {
                add(Self.logRuleMatches, [rule], count)
            }
            for (rule, time) in engine.observations.logs.lastMatch.sorted(by: { $0.key < $1.key }) {
                add(Self.logRuleLastMatch, [rule], time)
            }
            if let reading = engine.health.reading {
                for value in reading.values {
                    // A family `/metrics` does not show is left out.
                    if let metric = value.metric, let position = Self.positions[metric.name] {
                        add(position, value.labels, reading.value(value, now: now))
                    }
                }
            }
        }
        // Grouped by family with a counting sort, which keeps the order within each family.
        var starts = [Int](repeating: 0, count: Catalog.observed.count + 1)
        for entry in taken { starts[entry.family + 1] += 1 }
        for position in starts.indices.dropFirst() { starts[position] += starts[position - 1] }
        var next = starts
        samples = [Sample](repeating: Sample(engine: 0, labels: [], value: 0), count: taken.count)
        for entry in taken {
            samples[next[entry.family]] = entry.sample
            next[entry.family] += 1
        }
        self.starts = starts
    }

    func samples(at position: Int) -> ArraySlice<Sample> {
        samples[starts[position] ..< starts[position + 1]]
    }
}
