import Foundation
import ServiceLifecycle

/// Samples each engine's process tree from /proc at its configured interval into the status board.
public struct ResourceSampler: Service {
    let engines: [EngineConfig]
    let board: StatusBoard
    let system: ProcSystem
    /// Each engine's CPU account, carried to the sampler that replaces this one: CPU time stays monotonic.
    let accounts: Handover<TreeCPUAccount>

    public init(engines: [EngineConfig], board: StatusBoard, system: ProcSystem = ProcSystem(),
                accounts: Handover<TreeCPUAccount> = Handover()) {
        self.engines = engines
        self.accounts = accounts
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
        var account = accounts.take(engine.name) ?? TreeCPUAccount()
        defer { accounts.leave(engine.name, account) }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            if let pid = board.status(of: engine.name)?.pid {
                let tree = ProcParsers.tree(root: pid, in: system.allProcesses())
                let sample = sample(tree: tree, account: &account)
                let connections = engine.watch.connectionEndpoints.isEmpty
                    ? [:] : countConnections(root: pid, tree: tree, endpoints: engine.watch.connectionEndpoints) ?? [:]
                var changed = false
                board.update(engine.name) {
                    $0.resources = sample
                    changed = $0.observations.connections != connections
                    $0.observations.connections = connections
                }
                // New counts are news for the connections check; resources are shown as sampled.
                if changed { board.announce(engine.name) }
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
        sample(tree: ProcParsers.tree(root: root, in: system.allProcesses()), account: &account)
    }

    /// Sockets held by the tree's processes, matched against `/proc/ROOT/net/tcp{,6}` (the engine's own
    /// network namespace).
    /// nil when the engine's socket table cannot be read: no data, not a count of zero.
    func countConnections(root: Int32, tree: [ProcStat], endpoints: [ConnectionEndpoint]) -> [String: Int]? {
        var inodes: Set<UInt64> = []
        for process in tree {
            let directory = "/proc/\(process.pid)/fd"
            for entry in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: directory + "/" + entry),
                   let inode = ProcNetTCP.socketInode(linkTarget: target) {
                    inodes.insert(inode)
                }
            }
        }
        let tables = ["tcp", "tcp6"].compactMap { ProcSystem.read("/proc/\(root)/net/\($0)") }
        guard !tables.isEmpty, !tree.isEmpty else { return nil }
        let sockets = tables.flatMap(ProcNetTCP.parse)
        var counts = Dictionary(uniqueKeysWithValues: endpoints.map { ($0.name, 0) })
        for socket in sockets where !socket.isListening && inodes.contains(socket.inode) {
            for endpoint in endpoints where endpoint.matcher.matches(socket) {
                counts[endpoint.name, default: 0] += 1
            }
        }
        return counts
    }

    /// The tree's resident memory; saturated rather than trapping on pages no kernel reports.
    public static func residentBytes(of tree: [ProcStat], pageSize: Int64) -> Int64 {
        tree.reduce(Int64(0)) { $0.saturatingAdd(max(0, $1.residentPages)) }.saturatingMultiply(pageSize)
    }

    func sample(tree: [ProcStat], account: inout TreeCPUAccount) -> ResourceSample {
        let rss = Self.residentBytes(of: tree, pageSize: system.pageSize)
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
