import Testing
@testable import WardenKit

/// The supervision rules, driven event by event without processes.
struct EngineLifecycleTests {
    static func policy(initial: Duration = .seconds(1), multiplier: Double = 2, maximum: Duration = .seconds(8),
                       resetAfter: Duration = .seconds(60), budget: Int = 10, window: Duration = .seconds(3600),
                       mode: RestartMode = .always) -> RestartPolicy {
        RestartPolicy(mode: mode,
                      backoff: Backoff(initial: initial, multiplier: multiplier, maximum: maximum, jitter: 0, resetAfter: resetAfter),
                      budget: RestartBudget(limit: budget, window: window))
    }

    static let stop = StopPolicy(signal: .term, gracePeriod: .seconds(10))

    /// Starts the engine and returns the lifecycle with pid 100 running since t=0.
    static func running(_ policy: RestartPolicy = policy()) -> EngineLifecycle {
        var lifecycle = EngineLifecycle(restart: policy, stop: stop)
        #expect(lifecycle.handle(.startRequested, now: 0) == [.spawn])
        _ = lifecycle.handle(.spawned(pid: 100), now: 0)
        return lifecycle
    }

    static func timers(_ effects: [EngineLifecycle.Effect]) -> [(Int, Duration)] {
        effects.compactMap { if case .startTimer(let id, let after) = $0 { (id, after) } else { nil } }
    }

    @Test func crashDelaysGrowExponentiallyUpToTheMaximum() {
        var lifecycle = Self.running()
        var now = 0.0
        var delays: [Duration] = []
        for pid in Int32(100)..<106 {
            now += 2   // each run is short: unstable
            let effects = lifecycle.handle(.exited(pid: pid, status: .exited(code: 1)), now: now)
            let timer = Self.timers(effects)
            #expect(timer.count == 1)
            delays.append(timer[0].1)
            #expect(effects.contains(.signalGroup(pgid: pid, .kill)), "leftovers of the crashed group are killed")
            _ = lifecycle.handle(.timerFired(id: timer[0].0), now: now)
            _ = lifecycle.handle(.spawned(pid: pid + 1), now: now)
        }
        #expect(delays == [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(8), .seconds(8)])
        #expect(lifecycle.restartCounts[.exit] == 6)
    }

    @Test func aStableRunResetsTheBackoff() {
        var lifecycle = Self.running()
        for (pid, now) in [(Int32(100), 1.0), (101, 2.0), (102, 3.0)] {
            let timer = Self.timers(lifecycle.handle(.exited(pid: pid, status: .exited(code: 1)), now: now))[0]
            _ = lifecycle.handle(.timerFired(id: timer.0), now: now)
            _ = lifecycle.handle(.spawned(pid: pid + 1), now: now)
        }
        #expect(lifecycle.attempt == 3)
        // pid 103 runs for 100 s, longer than reset_after (60 s): the next delay is the initial one again.
        let effects = lifecycle.handle(.exited(pid: 103, status: .signaled(.kill)), now: 103)
        #expect(Self.timers(effects).map(\.1) == [.seconds(1)])
        #expect(effects.contains(.record(.restartScheduled(reason: .signal, delay: 1, attempt: 0))))
    }

    /// The soak's case: a crash every five minutes, and between them restarts a health policy asked for. The
    /// engine was up for minutes; only its last run was short. The crash must not wait longer each time.
    @Test(arguments: [RestartReason.health, .remediation, .manual, .schedule])
    func restartsWardenAskedForDoNotEndAStableStretch(requested: RestartReason) {
        func crashes(restartsBetween: [Double]) -> [Duration] {
            var lifecycle = Self.running(Self.policy(budget: 100))
            var (pid, now) = (Int32(100), 0.0)
            var delays: [Duration] = []
            for _ in 0..<3 {
                for gap in restartsBetween {
                    now += gap
                    _ = lifecycle.handle(.restartRequested(requested), now: now)
                    _ = lifecycle.handle(.exited(pid: pid, status: .exited(code: 0)), now: now)
                    pid += 1
                    _ = lifecycle.handle(.spawned(pid: pid), now: now)
                }
                now += 20
                let timer = Self.timers(lifecycle.handle(.exited(pid: pid, status: .exited(code: 1)), now: now))[0]
                delays.append(timer.1)
                _ = lifecycle.handle(.timerFired(id: timer.0), now: now + timer.1.seconds)
                pid += 1
                _ = lifecycle.handle(.spawned(pid: pid), now: now + timer.1.seconds)
            }
            return delays
        }
        // Up 80 s (> reset_after 60 s) between crashes, in runs of 20 s: each crash is a first one.
        #expect(crashes(restartsBetween: [20, 20, 20]) == [.seconds(1), .seconds(1), .seconds(1)])
        // Up 40 s between crashes: they are a loop, and the delay grows.
        #expect(crashes(restartsBetween: [10, 10]) == [.seconds(1), .seconds(2), .seconds(4)])
    }

    /// A spawn that fails after a long stable stretch is a first failure, not the next step of an old loop.
    @Test func aSpawnFailureAfterAStableStretchStartsTheBackoffAfresh() {
        var lifecycle = Self.running()
        for (pid, now) in [(Int32(100), 1.0), (101, 2.0)] {
            let timer = Self.timers(lifecycle.handle(.exited(pid: pid, status: .exited(code: 1)), now: now))[0]
            _ = lifecycle.handle(.timerFired(id: timer.0), now: now)
            _ = lifecycle.handle(.spawned(pid: pid + 1), now: now)
        }
        #expect(lifecycle.attempt == 2)
        // Up for 100 s through a policy restart, whose spawn then fails (the binary was replaced, say).
        _ = lifecycle.handle(.restartRequested(.health), now: 50)
        _ = lifecycle.handle(.exited(pid: 102, status: .exited(code: 0)), now: 50)
        let effects = lifecycle.handle(.spawnFailed(message: "no such file"), now: 102)
        #expect(Self.timers(effects).map(\.1) == [.seconds(1)])
    }

    @Test func jitterStaysWithinItsFraction() {
        let backoff = Backoff(initial: .seconds(10), multiplier: 2, maximum: .seconds(100), jitter: 0.2, resetAfter: .seconds(60))
        #expect(backoff.delay(attempt: 0, random: 0) == .seconds(8))
        #expect(backoff.delay(attempt: 0, random: 0.5) == .seconds(10))
        #expect(backoff.delay(attempt: 0, random: 0.999_999_999).seconds < 12.0001)
        #expect(backoff.delay(attempt: 5, random: 0.5) == .seconds(100))
    }

    @Test func zeroBackoffRespawnsImmediately() {
        var lifecycle = Self.running(Self.policy(initial: .zero))
        let effects = lifecycle.handle(.exited(pid: 100, status: .exited(code: 1)), now: 5)
        #expect(effects.last == .spawn)
        #expect(Self.timers(effects).isEmpty)
        #expect(lifecycle.state == .starting(reason: .exit))
    }

    @Test func theBudgetStopsACrashLoopAndSaysAHumanIsNeeded() {
        var lifecycle = Self.running(Self.policy(initial: .zero, budget: 3))
        var pid: Int32 = 100
        for _ in 0..<3 {
            _ = lifecycle.handle(.exited(pid: pid, status: .exited(code: 1)), now: 10)
            pid += 1
            _ = lifecycle.handle(.spawned(pid: pid), now: 10)
        }
        #expect(lifecycle.budgetRemaining(now: 10) == 0)
        let effects = lifecycle.handle(.exited(pid: pid, status: .exited(code: 1)), now: 11)
        #expect(effects.contains(.record(.gaveUp(restartsInWindow: 3))))
        #expect(!effects.contains(.spawn))
        #expect(lifecycle.state == .gaveUp(since: 11))
        // Automatic requests are refused now; a person's is not, and it resets the window.
        #expect(lifecycle.handle(.restartRequested(.health), now: 12).isEmpty)
        #expect(lifecycle.handle(.restartRequested(.manual), now: 12) == [.record(.budgetReset), .spawn])
        #expect(lifecycle.budgetRemaining(now: 12) == 3)
    }

    @Test func theBudgetWindowSlides() {
        var ledger = BudgetLedger(budget: RestartBudget(limit: 2, window: .seconds(100)))
        ledger.record(now: 0)
        ledger.record(now: 50)
        #expect(ledger.remaining(now: 60) == 0)
        #expect(ledger.remaining(now: 100.5) == 1, "the restart at t=0 left the window at t=100")
        #expect(ledger.remaining(now: 151) == 2)
    }

    @Test func gracefulStopSendsTheSignalThenKillsTheGroupAfterTheGracePeriod() {
        var lifecycle = Self.running()
        let stop = lifecycle.handle(.stopRequested, now: 20)
        #expect(Array(stop.prefix(2)) == [.signalGroup(pgid: 100, .term), .signalGroup(pgid: 100, .cont)],
                "a stopped engine is woken to handle its TERM")
        let timer = Self.timers(stop)
        #expect(timer.map(\.1) == [.seconds(10)])
        #expect(lifecycle.handle(.timerFired(id: timer[0].0), now: 30) == [
            .record(.killedAfterGrace(pid: 100)), .signalGroup(pgid: 100, .kill),
        ])
        let exit = lifecycle.handle(.exited(pid: 100, status: .signaled(.kill)), now: 30)
        #expect(exit.last == .finished)
        #expect(lifecycle.state == .stopped)
    }

    @Test func anEngineThatStopsInTimeIsNotKilledLater() {
        var lifecycle = Self.running()
        let timer = Self.timers(lifecycle.handle(.stopRequested, now: 20))[0]
        let exit = lifecycle.handle(.exited(pid: 100, status: .exited(code: 0)), now: 21)
        #expect(exit.first == .cancelTimer)
        #expect(exit.last == .finished)
        #expect(lifecycle.handle(.timerFired(id: timer.0), now: 30).isEmpty, "a stale kill timer does nothing")
    }

    @Test func stopDuringBackoffCancelsThePendingStart() {
        var lifecycle = Self.running()
        let timer = Self.timers(lifecycle.handle(.exited(pid: 100, status: .exited(code: 1)), now: 1))[0]
        #expect(lifecycle.handle(.stopRequested, now: 1.5) == [.cancelTimer, .finished])
        #expect(lifecycle.handle(.timerFired(id: timer.0), now: 2).isEmpty, "no start after the stop")
    }

    @Test func stopWhileASpawnIsUnderWayStopsTheNewProcess() {
        var lifecycle = EngineLifecycle(restart: Self.policy(), stop: Self.stop)
        _ = lifecycle.handle(.startRequested, now: 0)
        #expect(lifecycle.handle(.stopRequested, now: 0).isEmpty)
        let effects = lifecycle.handle(.spawned(pid: 7), now: 0)
        #expect(effects.contains(.signalGroup(pgid: 7, .term)))
    }

    @Test func manualRestartStopsGracefullyThenStartsWithoutBackoff() {
        var lifecycle = Self.running()
        let stop = lifecycle.handle(.restartRequested(.manual), now: 5)
        #expect(stop.first == .signalGroup(pgid: 100, .term))
        let exit = lifecycle.handle(.exited(pid: 100, status: .signaled(.term)), now: 6)
        #expect(exit.last == .spawn)
        _ = lifecycle.handle(.spawned(pid: 101), now: 6)
        #expect(lifecycle.restartCounts == [.manual: 1])
        #expect(lifecycle.budgetRemaining(now: 6) == 9, "deliberate restarts count in the budget")
    }

    @Test func reloadedStopAndRestartSettingsHoldForTheRunningProcess() {
        var lifecycle = Self.running(Self.policy(initial: .seconds(1), budget: 3))
        _ = lifecycle.handle(.exited(pid: 100, status: .exited(code: 1)), now: 1)
        let timer = Self.timers(lifecycle.handle(.timerFired(id: 1), now: 2))
        #expect(timer.isEmpty)
        _ = lifecycle.handle(.spawned(pid: 101), now: 2)
        #expect(lifecycle.budgetRemaining(now: 2) == 2)
        let longer = StopPolicy(signal: .int, gracePeriod: .seconds(30))
        #expect(lifecycle.handle(.reconfigured(Self.policy(initial: .seconds(5), maximum: .seconds(60), budget: 10), longer), now: 3).isEmpty,
                "nothing happens to the process itself")
        #expect(lifecycle.budgetRemaining(now: 3) == 9, "the restart counted so far stays, against the new budget")
        let crash = lifecycle.handle(.exited(pid: 101, status: .exited(code: 1)), now: 4)
        #expect(Self.timers(crash).map(\.1) == [.seconds(10)], "the new backoff, at the attempt reached")
        _ = lifecycle.handle(.timerFired(id: Self.timers(crash)[0].0), now: 14)
        _ = lifecycle.handle(.spawned(pid: 102), now: 14)
        let stop = lifecycle.handle(.stopRequested, now: 20)
        #expect(stop.first == .signalGroup(pgid: 102, .int))
        #expect(Self.timers(stop).map(\.1) == [.seconds(30)])
    }

    @Test func aChangedCommandRestartsGracefullyAndRevivesAnEngineWardenGaveUpOn() {
        var lifecycle = Self.running()
        #expect(lifecycle.handle(.restartRequested(.config), now: 5).first == .signalGroup(pgid: 100, .term))
        #expect(lifecycle.handle(.exited(pid: 100, status: .signaled(.term)), now: 6).last == .spawn)
        _ = lifecycle.handle(.spawned(pid: 101), now: 6)
        #expect(lifecycle.restartCounts == [.config: 1])

        var spent = Self.running(Self.policy(initial: .zero, budget: 1))
        _ = spent.handle(.exited(pid: 100, status: .exited(code: 1)), now: 1)
        _ = spent.handle(.spawned(pid: 101), now: 1)
        _ = spent.handle(.exited(pid: 101, status: .exited(code: 1)), now: 2)
        #expect(spent.state == .gaveUp(since: 2))
        #expect(spent.handle(.restartRequested(.config), now: 3) == [.record(.budgetReset), .spawn],
                "a person changed how it runs: it is tried again, with a fresh budget")
    }

    @Test func aStoppedChildIsNotAnExitAndOtherPidsAreIgnored() {
        var lifecycle = Self.running()
        #expect(lifecycle.handle(.exited(pid: 999, status: .exited(code: 0)), now: 1).isEmpty)
        #expect(lifecycle.state == .running(pid: 100, since: 0))
    }

    @Test func restartModesDecideWhetherAnExitIsRestarted() {
        var onFailure = Self.running(Self.policy(mode: .onFailure))
        _ = onFailure.handle(.exited(pid: 100, status: .exited(code: 0)), now: 1)
        #expect(onFailure.state == .stopped)

        var never = Self.running(Self.policy(mode: .never))
        _ = never.handle(.exited(pid: 100, status: .exited(code: 1)), now: 1)
        #expect(never.state == .stopped)
    }

    /// freqtrade exits 130 after SIGTERM: listed as clean, that is a stop on purpose. `on-failure` does not
    /// restart it, and a stop Warden asked for is recorded as clean; an unlisted status stays a failure.
    @Test func anExitWithACleanCodeIsAStopOnPurpose() {
        let freqtrade = StopPolicy(signal: .term, gracePeriod: .seconds(10), cleanExitCodes: [0, 130])
        var onFailure = EngineLifecycle(restart: Self.policy(mode: .onFailure), stop: freqtrade)
        _ = onFailure.handle(.startRequested, now: 0)
        _ = onFailure.handle(.spawned(pid: 100), now: 0)
        let exited = onFailure.handle(.exited(pid: 100, status: .exited(code: 130)), now: 5)
        #expect(exited.contains(.record(.exited(pid: 100, status: .exited(code: 130), ranFor: 5, clean: true))))
        #expect(onFailure.state == .stopped && onFailure.lastExit?.clean == true)

        var crashed = Self.running(Self.policy(mode: .onFailure))
        let effects = crashed.handle(.exited(pid: 100, status: .exited(code: 130)), now: 5)
        #expect(effects.contains(.record(.exited(pid: 100, status: .exited(code: 130), ranFor: 5, clean: false))))
        #expect(Self.timers(effects).count == 1, "130 is not among the defaults for SIGTERM (0, 143): restarted")

        var stopping = Self.running()
        _ = stopping.handle(.stopRequested, now: 20)
        let stopped = stopping.handle(.exited(pid: 100, status: .exited(code: 143)), now: 22)
        #expect(stopped.contains(.record(.exited(pid: 100, status: .exited(code: 143), ranFor: 22, clean: true))))

        let sigint = StopPolicy(signal: .int, gracePeriod: .seconds(10))
        #expect(sigint.isClean(.exited(code: 130)) && sigint.isClean(.exited(code: 0)) && sigint.isClean(.signaled(.int)))
        #expect(!sigint.isClean(.exited(code: 1)) && !sigint.isClean(.signaled(.kill)) && !sigint.isClean(.exited(code: 143)))
    }

    @Test func aFailedSpawnIsBackedOffLikeACrash() {
        var lifecycle = EngineLifecycle(restart: Self.policy(), stop: Self.stop)
        _ = lifecycle.handle(.startRequested, now: 0)
        let effects = lifecycle.handle(.spawnFailed(message: "No such file"), now: 0)
        #expect(effects.first == .record(.spawnFailed(message: "No such file")))
        #expect(Self.timers(effects).map(\.1) == [.seconds(1)])
    }

    @Test func exitStatusDecodesWaitStatuses() {
        #expect(ExitStatus(waitStatus: 3 << 8) == .exited(code: 3))
        #expect(ExitStatus(waitStatus: 9) == .signaled(.kill))
        #expect(ExitStatus(waitStatus: 0x80 | 11) == .signaled(Signal(number: 11)), "core dump flag ignored")
        #expect(Signal(parsing: "TERM") == .term)
        #expect(Signal(parsing: "sighup") == .hup)
        #expect(Signal(parsing: "SIGNOPE") == nil)
    }
}
