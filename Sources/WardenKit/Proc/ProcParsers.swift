import Foundation

/// Parsers for the /proc files Warden reads. Pure functions over text, so hostile or odd contents (a
/// process named `a) (b`, a truncated file) are unit-tested without a kernel.
public struct ProcStat: Sendable, Equatable {
    public var pid: Int32
    public var comm: String
    public var state: Character
    public var ppid: Int32
    public var pgrp: Int32
    /// user + system time in clock ticks.
    public var cpuTicks: UInt64
    public var threads: Int
    /// Ticks after boot at which the process started: with the pid, it identifies one process for life.
    public var startTicks: UInt64
    public var virtualBytes: UInt64
    public var residentPages: Int64

    /// `/proc/PID/stat`. The command name is in parentheses and may itself contain spaces and parentheses,
    /// so the fields are counted from the last `)`.
    public static func parse(_ text: Substring) -> ProcStat? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close,
              let pid = Int32(text[..<open].trimmingCharacters(in: .whitespaces)) else { return nil }
        let comm = String(text[text.index(after: open)..<close])
        let fields = text[text.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        // fields[0] is field 3 (state) of proc(5).
        guard fields.count >= 22, let state = fields[0].first,
              let ppid = Int32(fields[1]), let pgrp = Int32(fields[2]),
              let utime = UInt64(fields[11]), let stime = UInt64(fields[12]),
              let threads = Int(fields[17]), let start = UInt64(fields[19]),
              let vsize = UInt64(fields[20]), let rss = Int64(fields[21]) else { return nil }
        // Numbers no kernel writes are a misread file, not a reason to trap (the fuzzer's first finding).
        let (cpuTicks, overflow) = utime.addingReportingOverflow(stime)
        guard !overflow else { return nil }
        return ProcStat(pid: pid, comm: comm, state: state, ppid: ppid, pgrp: pgrp, cpuTicks: cpuTicks,
                        threads: threads, startTicks: start, virtualBytes: vsize, residentPages: rss)
    }

    public static func parse(_ text: String) -> ProcStat? { parse(text[...]) }
}

public enum ProcParsers {
    /// `MemTotal` of `/proc/meminfo`, in bytes.
    public static func memTotal(meminfo: String) -> Int64? {
        for line in meminfo.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, let kib = Int64(parts[1]) else { return nil }
            let (bytes, overflow) = kib.multipliedReportingOverflow(by: 1024)
            return overflow ? nil : bytes
        }
        return nil
    }

    /// `btime` of `/proc/stat`: boot time in unix seconds.
    public static func bootTime(stat: String) -> Double? {
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// The cgroup v2 path of `/proc/self/cgroup` (`0::/system.slice/warden.service`).
    public static func cgroupV2Path(cgroup: String) -> String? {
        for line in cgroup.split(separator: "\n") where line.hasPrefix("0::") {
            return String(line.dropFirst(3))
        }
        return nil
    }

    /// `memory.max` (v2) or `memory.limit_in_bytes` (v1); nil when unlimited. v1 reports "unlimited" as a
    /// huge number, so anything at or above 2^60 counts as no limit.
    public static func cgroupMemoryLimit(_ text: String) -> Int64? {
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard value != "max", let bytes = Int64(value), bytes > 0, bytes < (1 << 60) else { return nil }
        return bytes
    }

    /// The engine's tree: the root, every descendant, and every member of its process group (grandchildren
    /// orphaned by a dead parent are reparented away but stay in the group).
    public static func tree(root: Int32, in processes: [ProcStat]) -> [ProcStat] {
        var children: [Int32: [Int32]] = [:]
        var byPid: [Int32: ProcStat] = [:]
        for process in processes {
            children[process.ppid, default: []].append(process.pid)
            byPid[process.pid] = process
        }
        var members: Set<Int32> = []
        var queue = byPid[root] == nil ? [] : [root]
        while let pid = queue.popLast() {
            guard members.insert(pid).inserted else { continue }
            queue += children[pid] ?? []
        }
        for process in processes where process.pgrp == root { members.insert(process.pid) }
        return processes.filter { members.contains($0.pid) }
    }
}

extension FixedWidthInteger {
    /// Sums of numbers read from `/proc`: a file no kernel writes must not trap Warden, and a pinned maximum is
    /// as obviously wrong as the file.
    func saturatingAdd(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    func saturatingMultiply(_ other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? ((self > 0) == (other > 0) ? .max : .min) : product
    }
}
