import Foundation
import ServiceLifecycle

/// Samples each engine's process tree from /proc at its configured interval into the status board.
public struct ResourceSampler: Service {
    let engines: [EngineConfig]
    let board: StatusBoard
    let system: ProcSystem

    public init(engines: [EngineConfig], board: StatusBoard, system: ProcSystem = ProcSystem()) {
        self.engines = engines
        self.board = board
        self.system = system
    }

    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for engine in engines {
                group.addTask { await sampleForever(engine) }
            }
        }
    }

    private func sampleForever(_ engine: EngineConfig) async {
        var account = TreeCPUAccount()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let pid = board.status(of: engine.name)?.pid {
                let sample = sample(root: pid, account: &account)
                board.update(engine.name) { $0.resources = sample }
            } else {
                let cpu = account.update([])
                board.update(engine.name) { status in
                    status.resources = ResourceSample(cpuSeconds: Double(cpu) / system.ticksPerSecond, residentBytes: 0,
                                                      memoryRatio: 0, threads: 0, openFDs: 0, processes: 0,
                                                      sampledAt: Date().timeIntervalSince1970)
                }
            }
            // Ends at once on shutdown: the engines are not stopped until the sampler has returned.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: engine.samplingInterval) }
        }
    }

    func sample(root: Int32, account: inout TreeCPUAccount) -> ResourceSample {
        let tree = ProcParsers.tree(root: root, in: system.allProcesses())
        let rss = tree.reduce(Int64(0)) { $0 + $1.residentPages } * system.pageSize
        return ResourceSample(
            cpuSeconds: Double(account.update(tree)) / system.ticksPerSecond,
            residentBytes: rss,
            memoryRatio: system.memoryLimitBytes > 0 ? Double(rss) / Double(system.memoryLimitBytes) : 0,
            threads: tree.reduce(0) { $0 + $1.threads },
            openFDs: tree.reduce(0) { $0 + system.openFDs(pid: $1.pid) },
            processes: tree.count,
            sampledAt: Date().timeIntervalSince1970)
    }
}
