import Foundation
import Testing
@testable import WardenKit

struct LineSplitterTests {
    @Test func linesSplitAcrossChunksAreJoined() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("first\nsec".utf8)).map(\.text) == ["first"])
        #expect(splitter.feed(Array("ond\r\nthird".utf8)).map(\.text) == ["second"])
        #expect(splitter.feed(Array("".utf8)).isEmpty)
        #expect(splitter.finish()?.text == "third", "a last line without newline is not lost")
        #expect(splitter.finish() == nil)
    }

    @Test func emptyLinesAreKept() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("\n\na\n".utf8)).map(\.text) == ["", "", "a"])
    }

    @Test func overlongLinesArriveInMarkedPieces() {
        var splitter = LineSplitter(maxLineBytes: 4)
        let lines = splitter.feed(Array("abcdefghij\nok\n".utf8))
        #expect(lines == [.init(text: "abcd", truncated: true), .init(text: "efgh", truncated: true),
                          .init(text: "ij", truncated: true), .init(text: "ok", truncated: false)])
        var streaming = LineSplitter(maxLineBytes: 4)
        #expect(streaming.feed(Array("abcdef".utf8)) == [.init(text: "abcd", truncated: true)])
        #expect(streaming.finish() == .init(text: "ef", truncated: true), "the last piece is a piece too")
    }

    /// Found by review, now a fuzz promise: the lines were different when a read ended between a full-length
    /// line and its CRLF, or inside an overlong line.
    @Test func theLinesAreTheSameHoweverReadsCutTheStream() {
        let stream = Array("abcd\r\nabcdefghij\nabcdefgh\r\nxy\nabcdefghi\r".utf8)
        var whole = LineSplitter(maxLineBytes: 4)
        let expected = whole.feed(stream) + [whole.finish()].compactMap { $0 }
        #expect(expected.first == .init(text: "abcd", truncated: false))
        for size in 1...stream.count {
            var splitter = LineSplitter(maxLineBytes: 4)
            var lines: [LineSplitter.Line] = []
            for start in stride(from: 0, to: stream.count, by: size) {
                lines += splitter.feed(Array(stream[start..<min(stream.count, start + size)]))
            }
            lines += [splitter.finish()].compactMap { $0 }
            #expect(lines == expected, "reads of \(size) bytes")
        }
        // Found by fuzzing next: the slack kept for a CR let the last line of a stream be one byte too long.
        #expect(expected.allSatisfy { $0.text.utf8.count <= 4 }, "\(expected)")
        #expect(expected.suffix(3) == [.init(text: "abcd", truncated: true), .init(text: "efgh", truncated: true),
                                       .init(text: "i", truncated: true)])
        var last = LineSplitter(maxLineBytes: 4)
        #expect(last.feed(Array("abcde".utf8)) == [.init(text: "abcd", truncated: true)])
        #expect(last.finish() == .init(text: "e", truncated: true))
    }
}

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
        #expect(ProcParsers.maxOpenFiles(limits: "Limit Soft Hard Units\nMax open files            1024                 524288               files\n") == 1024)
    }
}

struct RotatingLogFileTests {
    @Test func rotationKeepsTheConfiguredNumberOfFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-log-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = RotatingLogFile(path: directory + "/engine.log", maxBytes: 100, maxFiles: 3)
        for index in 0..<50 { file.write(line: String(format: "line %03d %@", index, String(repeating: "x", count: 20))) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["engine.log", "engine.log.1", "engine.log.2"])
        for name in names {
            let size = try #require(FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int)
            #expect(size <= 100)
        }
        let newest = try String(contentsOfFile: directory + "/engine.log", encoding: .utf8)
        #expect(newest.hasSuffix("line 049 \(String(repeating: "x", count: 20))\n"))
        let previous = try String(contentsOfFile: directory + "/engine.log.1", encoding: .utf8)
        let lastOfPrevious = try #require(previous.split(separator: "\n").last)
        let firstOfNewest = try #require(newest.split(separator: "\n").first)
        #expect(Int(lastOfPrevious.dropFirst(5).prefix(3))! + 1 == Int(firstOfNewest.dropFirst(5).prefix(3))!, "no line lost between files")
    }
}

struct StoreTests {
    @Test func historySurvivesReopeningAndRebuildsTheBudget() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-store-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/warden.sqlite"
        do {
            let store = try WardenStore(path: path, logger: .init(label: "test"))
            await store.append(engine: "bot", record: .started(pid: 10, reason: nil), at: 100)
            await store.append(engine: "bot", record: .exited(pid: 10, status: .signaled(.kill), ranFor: 5), at: 105)
            await store.append(engine: "bot", record: .restartScheduled(reason: .signal, delay: 1, attempt: 0), at: 105)
            await store.append(engine: "bot", record: .started(pid: 11, reason: .signal), at: 106)
            await store.append(engine: "bot", record: .started(pid: 12, reason: .manual), at: 200)
            await store.append(engine: "other", record: .restartScheduled(reason: .exit, delay: 0, attempt: 0), at: 150)
        }
        let reopened = try WardenStore(path: path, logger: .init(label: "test"))
        #expect(await reopened.restartTimes(engine: "bot", since: 0) == [105, 200])
        #expect(await reopened.restartTimes(engine: "bot", since: 150) == [200])
        await reopened.append(engine: "bot", record: .budgetReset, at: 210)
        #expect(await reopened.restartTimes(engine: "bot", since: 0).isEmpty)
        let events = try reopened.recentEvents(engine: "bot", limit: 10)
        #expect(events.first?.kind == "budget_reset")
        #expect(events.contains { $0.kind == "exit" && $0.signal == 9 && $0.pid == 10 })
        #expect(try reopened.integrityCheck() == "ok")
    }

    @Test func anUnopenableDatabaseIsAClearError() {
        #expect {
            try WardenStore(path: "/proc/warden-cannot-be-here/warden.sqlite", logger: .init(label: "test"))
        } throws: { error in
            "\(error)".hasPrefix("cannot open Warden's database at /proc/warden-cannot-be-here/warden.sqlite")
        }
    }
}
