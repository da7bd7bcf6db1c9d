import CWardenSys
import Foundation

/// Resources of one engine's process tree at one moment.
public struct ResourceSample: Sendable, Equatable {
    /// Cumulative CPU seconds of every process ever seen in the tree (monotonic across restarts).
    public var cpuSeconds: Double
    public var residentBytes: Int64
    /// Resident bytes over the host's memory or the cgroup's limit, whichever is smaller.
    public var memoryRatio: Double
    public var threads: Int
    public var openFDs: Int
    public var processes: Int
    public var sampledAt: Double
}

/// Reads /proc. The system facts (page size, clock ticks, memory limit) are read once.
public struct ProcSystem: Sendable {
    public let pageSize: Int64
    public let ticksPerSecond: Double
    public let memoryLimitBytes: Int64
    public let bootTime: Double

    public init() {
        pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
        ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
        let hostMemory = Self.read("/proc/meminfo").flatMap(ProcParsers.memTotal(meminfo:)) ?? 0
        var limit = hostMemory
        if let path = Self.read("/proc/self/cgroup").flatMap(ProcParsers.cgroupV2Path(cgroup:)),
           let cgroup = Self.read("/sys/fs/cgroup\(path == "/" ? "" : path)/memory.max").flatMap(ProcParsers.cgroupMemoryLimit) {
            limit = min(limit, cgroup)
        } else if let cgroup = Self.read("/sys/fs/cgroup/memory/memory.limit_in_bytes").flatMap(ProcParsers.cgroupMemoryLimit) {
            limit = min(limit, cgroup)
        }
        memoryLimitBytes = limit
        bootTime = Self.read("/proc/stat").flatMap(ProcParsers.bootTime(stat:)) ?? 0
    }

    /// Every process's stat line. Processes that vanish while we read are skipped.
    public func allProcesses() -> [ProcStat] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry in
            guard entry.first?.isNumber == true, let text = Self.read("/proc/\(entry)/stat") else { return nil }
            return ProcStat.parse(text)
        }
    }

    public func openFDs(pid: Int32) -> Int {
        warden_directory_entries("/proc/\(pid)/fd")
    }

    /// The process's soft limit on open descriptors, as the kernel has it now (setrlimit or prlimit may change
    /// it at any time); nil when it is unlimited.
    public static func openFileLimit() -> Int? {
        let limit = warden_open_file_limit()
        return limit < 0 ? nil : limit
    }

    public static func read(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            data += buffer[0..<count]
        }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Turns successive /proc readings of one engine into `ResourceSample`s, keeping CPU time monotonic: the
/// last CPU time of each process that left the tree is kept, so exits and restarts never make the counter
/// go down.
public struct TreeCPUAccount: Sendable {
    private struct Key: Hashable { var pid: Int32; var start: UInt64 }
    private var live: [Key: UInt64] = [:]
    private var retiredTicks: UInt64 = 0

    public init() {}

    public mutating func update(_ tree: [ProcStat]) -> UInt64 {
        var next: [Key: UInt64] = [:]
        for process in tree { next[Key(pid: process.pid, start: process.startTicks)] = process.cpuTicks }
        for (key, ticks) in live where next[key] == nil { retiredTicks = retiredTicks.saturatingAdd(ticks) }
        live = next
        return next.values.reduce(retiredTicks) { $0.saturatingAdd($1) }
    }
}
