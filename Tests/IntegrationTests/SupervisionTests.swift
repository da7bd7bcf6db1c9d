import Foundation
import Testing
@testable import WardenKit

/// Real child processes under a real supervisor.
@Suite(.serialized)
struct SupervisionTests {
    @Test func aCrashingChildIsRestartedAndItsExitRecorded() async throws {
        let directory = TempDirectory()
        // Crashes twice, then stays up: the stop below always finds it running.
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: crasher
                command: [sh, -c, "n=$(cat runs 2>/dev/null || echo 0); echo $((n + 1)) > runs; [ $n -ge 2 ] && exec sleep 1000; sleep 0.2; exit 3"]
                working_dir: \(directory.path)
                restart: {initial_backoff: 0s, budget: 100}
            """)
        try await eventually("two restarts, and the third run up") {
            engine.status.restartCounts[.exit, default: 0] >= 2 && engine.status.pid != nil
                && directory.read("runs")?.trimmingCharacters(in: .whitespacesAndNewlines) == "3"
        }
        #expect(engine.status.lastExit?.status == .exited(code: 3))
        try await engine.stop()
        let exits = try engine.store.recentEvents(engine: "crasher", limit: 100).filter { $0.kind.hasSuffix("exit") }.reversed()
        #expect(exits.prefix(2).map(\.kind) == ["exit", "exit"] && exits.prefix(2).map(\.exitCode) == [3, 3],
                "the crashes are stored as failures with their exit status")
        #expect(exits.last?.kind == "clean_exit" && exits.last?.signal == SIGTERM,
                "the final exit is the graceful stop, by the stop signal: clean")
    }

    @Test func theBudgetStopsACrashLoop() async throws {
        let directory = TempDirectory()
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: loop
                command: [sh, -c, "exit 1"]
                restart: {initial_backoff: 0s, budget: 3, budget_window: 1h}
            """)
        try await eventually("Warden gives up") { engine.status.needsHuman }
        #expect(engine.status.restartCounts == [.exit: 3])
        #expect(engine.status.ledger.remaining(now: Date().timeIntervalSince1970) == 0)
        try await Task.sleep(for: .milliseconds(300))
        #expect(engine.status.restartCounts == [.exit: 3], "no restart after giving up")
        try await engine.stop()
        #expect(try engine.store.recentEvents(engine: "loop", limit: 1).first?.kind == "gave_up")
    }

    @Test func aChildIgnoringSIGTERMAndItsGrandchildAreKilledAfterTheGracePeriod() async throws {
        let directory = TempDirectory()
        // Both ignore SIGTERM (an ignored signal stays ignored across fork and exec).
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: stubborn
                command: [sh, -c, "trap '' TERM; sleep 1000 & echo $! > grandchild.pid; echo $$ > child.pid; wait"]
                working_dir: \(directory.path)
                stop: {grace_period: 1s}
            """)
        try await eventually("both pids are written") {
            directory.read("grandchild.pid") != nil && directory.read("child.pid") != nil
        }
        let child = Int32(directory.read("child.pid")!.trimmingCharacters(in: .whitespacesAndNewlines))!
        let grandchild = Int32(directory.read("grandchild.pid")!.trimmingCharacters(in: .whitespacesAndNewlines))!
        let started = ContinuousClock.now
        try await engine.stop()
        let took = ContinuousClock.now - started
        try await eventually("child and grandchild are gone") { isGone(child) && isGone(grandchild) }
        #expect(took >= .milliseconds(900), "SIGTERM was ignored, so only the SIGKILL after the grace period ends it")
        let kinds = try engine.store.recentEvents(engine: "stubborn", limit: 10).map(\.kind)
        #expect(kinds.contains("killed_after_grace"))
    }

    @Test func aStoppedChildIsNotMistakenForAnExit() async throws {
        let directory = TempDirectory()
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: sleeper
                command: [sleep, "1000"]
            """)
        try await eventually("running") { engine.status.pid != nil }
        let pid = engine.status.pid!
        kill(pid, SIGSTOP)
        try await Task.sleep(for: .milliseconds(500))
        #expect(engine.status.state == .running(pid: pid, since: engine.status.startedAt!))
        #expect(engine.status.restartCounts.isEmpty)
        kill(pid, SIGCONT)
        try await engine.stop()
        #expect(isGone(pid))
    }

    @Test func everyLineArrivesWholeAndInOrderEvenWithoutATrailingNewline() async throws {
        let directory = TempDirectory()
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: chatty
                command: [awk, "BEGIN { for (i = 0; i < 200000; i++) print \\"line \\" i; printf \\"tail-without-newline\\" }"]
                restart: {mode: never}
                logs: {max_size: 1GB}
            """)
        let lines = engine.supervisor.logLines.subscribe(bufferSize: 300_000)
        // The exit is seen at once; the reader drains what is still in the pipe after it.
        try await eventually(timeout: .seconds(30), "the last line reaches the log file") {
            (try? String(contentsOfFile: engine.config.logs.file, encoding: .utf8))?.hasSuffix("tail-without-newline\n") == true
        }
        let log = try String(contentsOfFile: engine.config.logs.file, encoding: .utf8)
        let written = log.split(separator: "\n", omittingEmptySubsequences: false)
        try #require(written.count == 200_002)   // 200,000 lines, the tail, and "" after the last newline
        #expect(written[200_000] == "tail-without-newline")
        #expect(written.dropLast(2).enumerated().allSatisfy { $0.element == "line \($0.offset)" }, "no line lost, split or reordered")

        var received = 0
        var last = ""
        for await line in lines {
            received += 1
            last = line.text
            if line.text == "tail-without-newline" { break }
        }
        #expect(received == 200_001)
        #expect(last == "tail-without-newline")
        try await engine.stop()
    }

    @Test func logRotationKeepsTheConfiguredFiles() async throws {
        let directory = TempDirectory()
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: rotating
                command: [awk, "BEGIN { for (i = 0; i < 5000; i++) printf \\"%06d %s\\\\n\\", i, \\"0123456789012345678901234567890123456789\\" }"]
                restart: {mode: never}
                logs: {file: logs/rotating.log, max_size: 10KiB, max_files: 3}
            """)
        try await eventually("the engine has exited") { engine.status.state == .stopped }
        try await engine.stop()
        let logs = try FileManager.default.contentsOfDirectory(atPath: directory.file("logs")).sorted()
        #expect(logs == ["rotating.log", "rotating.log.1", "rotating.log.2"])
        let current = try #require(directory.read("logs/rotating.log"))
        #expect(current.hasSuffix("004999 0123456789012345678901234567890123456789\n"))
        for name in logs {
            let size = try FileManager.default.attributesOfItem(atPath: directory.file("logs/" + name))[.size] as! Int
            #expect(size <= 10 * 1024)
        }
    }

    /// A child that writes its own log file (and rotates it by renaming every ten lines) is read through
    /// `logs.follow`, beside what it prints: no line of the file is lost across the rotations.
    @Test func aChildThatLogsToAFileIsFollowedAcrossItsOwnRotations() async throws {
        let directory = TempDirectory()
        _ = directory.write("bot.sh", """
            i=0
            while :; do
              i=$((i + 1))
              echo "FILE tick $i" >> bot.log
              [ $((i % 10)) -eq 0 ] && mv bot.log bot.log.1
              echo "STDOUT tick $i"
              sleep 0.05
            done
            """)
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, bot.sh]
                working_dir: \(directory.path)
                logs: {follow: bot.log}
                log_rules:
                  - {name: file_ticks, match: "^FILE tick"}
                  - {name: printed_ticks, match: "^STDOUT tick"}
            """)
        try await warden.waitReady()
        try await eventually("three rotations pass while both streams are counted\n\(warden.log)") {
            let metrics = try await warden.metrics()
            let file = metric(metrics, #"warden_log_rule_matches_total{engine="bot",rule="file_ticks"}"#) ?? 0
            let printed = metric(metrics, #"warden_log_rule_matches_total{engine="bot",rule="printed_ticks"}"#) ?? 0
            // A file found at the first look is read from its end, and the file is looked at four times a second:
            // a few lines apart, never more.
            return printed > 30 && abs(file - printed) <= 8
        }
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
    }

    @Test func resourcesOfTheWholeTreeAreSampled() async throws {
        let directory = TempDirectory()
        let engine = try SupervisedEngine(directory: directory, yaml: """
              - name: tree
                command: [sh, -c, "sleep 1000 & sleep 1000 & wait"]
            """)
        try await eventually("running") { engine.status.pid != nil }
        var account = TreeCPUAccount()
        let sampler = ResourceSampler(engines: [engine.config], board: engine.board)
        try await eventually("the shell and both sleeps are seen") {
            sampler.sample(root: engine.status.pid!, account: &account).processes == 3
        }
        let sample = sampler.sample(root: engine.status.pid!, account: &account)
        #expect(sample.residentBytes > 0)
        #expect(sample.threads >= 3)
        #expect(sample.openFDs >= 3)
        #expect(sample.memoryRatio > 0 && sample.memoryRatio < 1)
        try await engine.stop()
    }
}
