import Foundation
import Testing
@testable import WardenKit

struct ProcParserTests {
    @Test func statSurvivesHostileCommandNames() throws {
        let line = "4242 (evil) (name ) R 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 7 0 123456 1048576 300 18446744073709551615"
        let stat = try #require(ProcStat.parse(line))
        #expect(stat.pid == 4242)
        #expect(stat.comm == "evil) (name ")
        #expect(stat.ppid == 1)
        #expect(stat.pgrp == 4242)
        #expect(stat.cpuTicks == 200)
        #expect(stat.threads == 7)
        #expect(stat.startTicks == 123456)
        #expect(stat.virtualBytes == 1_048_576)
        #expect(stat.residentPages == 300)
        #expect(ProcStat.parse("12 (truncated) S 1 2") == nil)
        #expect(ProcStat.parse("garbage") == nil)
    }

    /// Found by fuzzing: CPU times whose sum overflows trapped; a file no kernel writes is refused instead.
    @Test func numbersThatOverflowAreRefusedNotTrappedOn() {
        let huge = "18446744073709551615"
        let line = "4242 (bot) S 1 4242 4242 0 -1 0 0 0 0 0 \(huge) 1 0 0 20 0 1 0 1 1000 10 0"
        #expect(ProcStat.parse(line) == nil)
        #expect(ProcParsers.memTotal(meminfo: "MemTotal: 9223372036854775807 kB\n") == nil)
        // Found by review, same shape: the sums over a tree saturate instead of trapping.
        let stat = { (pid: Int32, ticks: UInt64, pages: Int64) in
            ProcStat(pid: pid, comm: "x", state: "S", ppid: 1, pgrp: 1, cpuTicks: ticks, threads: 1, startTicks: UInt64(pid),
                     virtualBytes: 0, residentPages: pages)
        }
        let overflowing = [stat(2, .max - 1, .max - 1), stat(3, 5, .max - 1)]
        #expect(ResourceSampler.residentBytes(of: overflowing, pageSize: 4096) == .max)
        #expect(ResourceSampler.residentBytes(of: [stat(2, 1, 3), stat(3, 1, -7)], pageSize: 4096) == 12288)
        var account = TreeCPUAccount()
        #expect(account.update(overflowing) == .max)
        #expect(account.update([]) == .max)
    }

    @Test func theTreeIncludesDescendantsAndOrphanedGroupMembers() {
        func stat(_ pid: Int32, ppid: Int32, pgrp: Int32) -> ProcStat {
            ProcStat(pid: pid, comm: "p", state: "S", ppid: ppid, pgrp: pgrp, cpuTicks: 1, threads: 1, startTicks: 0,
                     virtualBytes: 0, residentPages: 1)
        }
        let processes = [
            stat(1, ppid: 0, pgrp: 1), stat(10, ppid: 1, pgrp: 10), stat(11, ppid: 10, pgrp: 10),
            stat(12, ppid: 11, pgrp: 12),   // a grandchild that made its own group: still a descendant
            stat(13, ppid: 1, pgrp: 10),    // orphaned, reparented to init, still in the engine's group
            stat(20, ppid: 1, pgrp: 20),
        ]
        #expect(ProcParsers.tree(root: 10, in: processes).map(\.pid) == [10, 11, 12, 13])
        #expect(ProcParsers.tree(root: 99, in: processes).isEmpty)
    }

    @Test func cpuTimeStaysMonotonicWhenProcessesLeave() {
        func stat(_ pid: Int32, _ ticks: UInt64) -> ProcStat {
            ProcStat(pid: pid, comm: "p", state: "S", ppid: 1, pgrp: 1, cpuTicks: ticks, threads: 1, startTicks: UInt64(pid),
                     virtualBytes: 0, residentPages: 0)
        }
        var account = TreeCPUAccount()
        #expect(account.update([stat(1, 100), stat(2, 50)]) == 150)
        #expect(account.update([stat(1, 120)]) == 170, "the 50 ticks of the exited child are kept")
        #expect(account.update([]) == 170)
        #expect(account.update([stat(3, 5)]) == 175)
    }

    @Test func systemFilesParse() {
        #expect(ProcParsers.memTotal(meminfo: "MemTotal:       16384 kB\nMemFree: 1 kB\n") == 16_777_216)
        #expect(ProcParsers.bootTime(stat: "cpu 1 2 3\nbtime 1700000000\n") == 1_700_000_000)
        #expect(ProcParsers.cgroupV2Path(cgroup: "0::/system.slice/warden.service\n") == "/system.slice/warden.service")
        #expect(ProcParsers.cgroupMemoryLimit("max\n") == nil)
        #expect(ProcParsers.cgroupMemoryLimit("536870912\n") == 536_870_912)
        #expect(ProcParsers.cgroupMemoryLimit("9223372036854771712") == nil)
    }
}
