import Foundation
import Synchronization

/// Renders `/metrics` from the state Warden already keeps: each family is collected at scrape time from its
/// single owner (the status board, the store, /proc/self), so nothing is counted twice. A scrape runs no check:
/// the checks' values are those of each engine's latest reading, with ages grown to the scrape's instant.
public struct WardenMetrics: Sendable {
    let version: String
    let board: StatusBoard
    let store: WardenStore?
    let system: ProcSystem
    /// The action kinds each engine's remediation can take: their counters start at 0.
    let actionKinds: [String: Set<String>]
    let alertStats: AlertStats?

    public init(version: String, board: StatusBoard, store: WardenStore?, system: ProcSystem,
                actionKinds: [String: Set<String>] = [:], alertStats: AlertStats? = nil) {
        self.alertStats = alertStats
        self.version = version
        self.board = board
        self.store = store
        self.system = system
        self.actionKinds = actionKinds
    }

    /// The size of the last exposition: the next one reserves as much, instead of growing its buffer by doubling.
    private let lastSize = SizeHint()
    /// Each engine's lines of the families that are most of a scrape (every series present from 0) and change
    /// only when its counters or levels do.
    private let parts = PartCache()

    public func render(now: Double = Date().timeIntervalSince1970) -> String {
        String(decoding: renderBytes(now: now), as: UTF8.self)
    }

    /// The exposition as the HTTP response carries it, without a round trip through String.
    public func renderBytes(now: Double = Date().timeIntervalSince1970) -> [UInt8] {
        typealias Sample = ExpositionWriter.Sample
        var out = ExpositionWriter(capacity: lastSize.value + 4096)
        defer { lastSize.value = out.count }
        out.write(Catalog.buildInfo, [Sample([version], 1)])
        if let store { out.write(Catalog.storeWriteFailures, Double(store.writeFailures)) }

        let engines = board.snapshot()
        func perEngine(_ family: MetricFamily, _ value: (EngineStatus) -> Double?) {
            out.write(family, engines.compactMap { engine in value(engine).map { Sample([engine.name], $0) } })
        }
        perEngine(Catalog.engineUp) { $0.isUp ? 1 : 0 }
        out.write(Catalog.engineRestarts, parts: engines.map { engine in
            parts.part(Catalog.engineRestarts, of: engine.name, from: engine.restartCounts) {
                // Every reason is always present, so that rate() sees a series start from 0.
                RestartReason.allCases.map { Sample([engine.name, $0.rawValue], Double(engine.restartCounts[$0] ?? 0)) }
            }
        })
        perEngine(Catalog.engineStartTime) { $0.startedAt ?? 0 }
        perEngine(Catalog.engineBackoff) { $0.backoffRemaining(now: now) }
        perEngine(Catalog.engineBudgetRemaining) { Double($0.ledger.remaining(now: now)) }
        perEngine(Catalog.engineGaveUp) { $0.gaveUp ? 1 : 0 }
        perEngine(Catalog.engineCPU) { $0.resources?.cpuSeconds }
        // A stopped engine uses nothing, whatever the last sample said before it stopped.
        func resource(_ family: MetricFamily, _ value: @escaping (ResourceSample) -> Double) {
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

        writeSelf(into: &out)
        return out.bytes
    }

    /// Probe results and log rules from each engine's latest observations, and the values of its latest reading.
    private func writeObservations(_ engines: [EngineStatus], now: Double, into out: inout ExpositionWriter) {
        var byFamily: [String: [ExpositionWriter.Sample]] = [:]
        func add(_ family: MetricFamily, _ engine: String, _ labels: [String], _ value: Double) {
            byFamily[family.name, default: []].append(.init([engine] + labels, value))
        }
        for engine in engines {
            for (name, stored) in engine.observations.probes.sorted(by: { $0.key < $1.key }) {
                let outcome = stored.current(now: now)
                add(Catalog.probeSuccess, engine.name, [name], outcome.success ? 1 : 0)
                add(Catalog.probeDuration, engine.name, [name], outcome.durationSeconds)
                if case .fileAge(let age) = outcome.output {
                    // Aged to now: a file last touched 10 s before a probe 5 s ago is 15 s old.
                    add(Catalog.heartbeatFileAge, engine.name, [name], age + max(0, now - outcome.at))
                }
            }
            for (rule, count) in engine.observations.logs.counts.sorted(by: { $0.key < $1.key }) {
                add(Catalog.logRuleMatches, engine.name, [rule], count)
            }
            for (rule, time) in engine.observations.logs.lastMatch.sorted(by: { $0.key < $1.key }) {
                add(Catalog.logRuleLastMatch, engine.name, [rule], time)
            }
            if let reading = engine.health.reading {
                for value in reading.values {
                    if let metric = value.metric { add(metric, engine.name, value.labels, reading.value(value, now: now)) }
                }
            }
        }
        for family in Catalog.observed {
            out.write(family, byFamily[family.name] ?? [])
        }
    }

    /// Levels after hysteresis and the counters of transitions and actions, each series present from 0.
    private func writeHealth(_ engines: [EngineStatus], into out: inout ExpositionWriter) {
        typealias Sample = ExpositionWriter.Sample
        let levels = engines.map { engine in engine.health.components.mapValues(\.level) }
        out.write(Catalog.healthLevel, parts: zip(engines, levels).map { engine, levels in
            parts.part(Catalog.healthLevel, of: engine.name, from: levels) {
                levels.sorted { $0.key < $1.key }.map { Sample([engine.name, $0.key.rawValue], Double($0.value.rawValue)) }
            }
        })
        out.write(Catalog.engineHealthLevel, engines.compactMap { engine in
            engine.health.evaluatedAt.map { _ in Sample([engine.name], Double(engine.health.level.rawValue)) }
        })
        out.write(Catalog.healthTransitions, parts: zip(engines, levels).map { engine, levels in
            let counts = engine.health.transitionCounts
            return parts.part(Catalog.healthTransitions, of: engine.name, from: TransitionsStamp(components: Set(levels.keys), counts: counts)) {
                levels.keys.sorted().flatMap { component in
                    HealthLevel.allCases.map { level in
                        Sample([engine.name, component.rawValue, level.name], Double(counts[component]?[level] ?? 0))
                    }
                }
            }
        })
        out.write(Catalog.remediations, parts: engines.map { engine in
            let counts = engine.remediation.counts
            return parts.part(Catalog.remediations, of: engine.name, from: counts) {
                let kinds = (actionKinds[engine.name] ?? []).union(counts.keys).sorted()
                return kinds.flatMap { kind in
                    ActionResult.allCases.map { result in
                        Sample([engine.name, kind, result.rawValue], Double(counts[kind]?[result] ?? 0))
                    }
                }
            }
        })
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

private final class SizeHint: Sendable {
    private let size = Mutex(8192)

    var value: Int {
        get { size.withLock { $0 } }
        set { size.withLock { $0 = newValue } }
    }
}

/// What the transitions family of one engine is rendered from.
private struct TransitionsStamp: Equatable, Sendable {
    var components: Set<HealthComponent>
    var counts: [HealthComponent: [HealthLevel: Int]]
}

/// Rendered lines of one family for one engine, kept with the value they were rendered from and reused while
/// that value is the same: comparing a few counters is far cheaper than writing dozens of lines.
private final class PartCache: Sendable {
    private struct Entry: Sendable {
        var source: any Sendable
        var lines: [UInt8]
    }

    private let entries = Mutex<[String: Entry]>([:])

    func part<Source: Equatable & Sendable>(_ family: MetricFamily, of engine: String, from source: Source,
                                            samples: () -> [ExpositionWriter.Sample]) -> [UInt8] {
        let key = family.name + "\u{0}" + engine
        if let entry = entries.withLock({ $0[key] }), entry.source as? Source == source { return entry.lines }
        let lines = ExpositionWriter.lines(family, samples())
        entries.withLock { $0[key] = Entry(source: source, lines: lines) }
        return lines
    }
}
