import WardenKit

/// `/proc` text. The engine controls much of it: its command name (in `stat`, with any bytes, parentheses and
/// spaces), how many processes and sockets it has, its cgroup. Every parser Warden has reads the same text.
enum ProcFuzz {
    static let broker = EndpointMatcher("10.0.0.0/8:443")!

    static func run(_ bytes: [UInt8]) -> FuzzVerdict {
        let text = String(decoding: bytes, as: UTF8.self)
        let processes = text.split(separator: "\n").compactMap { ProcStat.parse($0) }
        if let root = processes.first {
            // What the resource sampler does with a tree: sums of pages and ticks.
            let tree = ProcParsers.tree(root: root.pid, in: processes)
            promise(tree.contains { $0.pid == root.pid }, "the tree lost its root \(root.pid)")
            var account = TreeCPUAccount()
            _ = account.update(tree)
            _ = account.update(Array(tree.dropFirst()))
            _ = ResourceSampler.residentBytes(of: tree, pageSize: 4096)
        }
        var recognised = !processes.isEmpty
        recognised = ProcParsers.memTotal(meminfo: text) != nil || recognised
        recognised = ProcParsers.bootTime(stat: text) != nil || recognised
        recognised = ProcParsers.cgroupV2Path(cgroup: text) != nil || recognised
        recognised = ProcParsers.cgroupMemoryLimit(text) != nil || recognised
        recognised = ProcNetTCP.socketInode(linkTarget: text) != nil || recognised
        let sockets = ProcNetTCP.parse(text)
        recognised = recognised || !sockets.isEmpty
        for socket in sockets {
            promise(socket.remoteAddress.count == 4 || socket.remoteAddress.count == 16,
                    "an address of \(socket.remoteAddress.count) bytes")
            _ = broker.matches(socket)
        }
        if let endpoint = EndpointMatcher(text) {
            recognised = true
            promise(endpoint.prefixLength <= endpoint.network.count * 8, "prefix /\(endpoint.prefixLength) is too long")
        }
        return recognised ? .accepted : .rejected("nothing Warden reads")
    }
}
