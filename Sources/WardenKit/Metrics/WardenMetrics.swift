import Foundation

/// Renders `/metrics` from the state Warden already keeps: each family is collected at scrape time from its
/// single owner (the status board, the store, /proc/self), so nothing is counted twice and nothing goes stale.
public struct WardenMetrics: Sendable {
    let version: String
    let board: StatusBoard
    let store: WardenStore?
    let system: ProcSystem

    public init(version: String, board: StatusBoard, store: WardenStore?, system: ProcSystem) {
        self.version = version
        self.board = board
        self.store = store
        self.system = system
    }

    public func render(now: Double = Date().timeIntervalSince1970) -> String {
        typealias Sample = ExpositionWriter.Sample
        var out = ExpositionWriter()
        out.write(Catalog.buildInfo, [Sample([version], 1)])
        if let store { out.write(Catalog.storeWriteFailures, Double(store.writeFailures)) }

        let engines = board.snapshot()
        func perEngine(_ family: MetricFamily, _ value: (EngineStatus) -> Double?) {
            out.write(family, engines.compactMap { engine in value(engine).map { Sample([engine.name], $0) } })
        }
        perEngine(Catalog.engineUp) { $0.isUp ? 1 : 0 }
        out.write(Catalog.engineRestarts, engines.flatMap { engine in
            // Every reason is always present, so that rate() sees a series start from 0.
            RestartReason.allCases.map { Sample([engine.name, $0.rawValue], Double(engine.restartCounts[$0] ?? 0)) }
        })
        perEngine(Catalog.engineStartTime) { $0.startedAt ?? 0 }
        perEngine(Catalog.engineBackoff) { $0.backoffRemaining(now: now) }
        perEngine(Catalog.engineBudgetRemaining) { Double($0.ledger.remaining(now: now)) }
        perEngine(Catalog.engineGaveUp) { $0.needsHuman ? 1 : 0 }
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

        writeSelf(into: &out)
        return out.output
    }

    /// The standard `process_*` metrics of Warden itself, as the Go and Python clients expose them.
    private func writeSelf(into out: inout ExpositionWriter) {
        guard let text = ProcSystem.read("/proc/self/stat"), let me = ProcStat.parse(text) else { return }
        out.write(Catalog.processCPU, Double(me.cpuTicks) / system.ticksPerSecond)
        out.write(Catalog.processRSS, Double(me.residentPages * system.pageSize))
        out.write(Catalog.processVirtual, Double(me.virtualBytes))
        out.write(Catalog.processStart, system.bootTime + Double(me.startTicks) / system.ticksPerSecond)
        out.write(Catalog.processOpenFDs, Double(system.openFDs(pid: me.pid)))
        if let max = ProcSystem.read("/proc/self/limits").flatMap(ProcParsers.maxOpenFiles(limits:)) {
            out.write(Catalog.processMaxFDs, Double(max))
        }
        out.write(Catalog.processThreads, Double(me.threads))
    }
}
