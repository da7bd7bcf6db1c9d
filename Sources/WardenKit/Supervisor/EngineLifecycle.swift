/// Why an engine is being (re)started. The raw values are the `reason` label of
/// `warden_engine_restarts_total`.
public enum RestartReason: String, Sendable, CaseIterable, Codable {
    case exit, signal, health, remediation, manual, schedule
    /// A reload changed how the engine is run.
    case config
    /// Another supervisor started a new main process of an attached engine.
    case external

    /// Automatic restarts are refused once the budget is spent; a person's (by hand or by a changed config)
    /// are not.
    var isAutomatic: Bool { self != .manual && self != .config && self != .external }
}

/// Where an engine is in its life. Pure data, published to the status API and metrics.
public enum EngineState: Sendable, Equatable {
    case idle
    /// A spawn is under way; `reason` is nil for the first start.
    case starting(reason: RestartReason?)
    case running(pid: Int32, since: Double)
    /// A stop signal was sent; `then` says what happens once the process group is gone.
    case stopping(pid: Int32, since: Double, then: AfterStop)
    case backoff(until: Double, reason: RestartReason)
    /// The restart budget is spent: Warden no longer restarts the engine and a human is needed.
    case gaveUp(since: Double)
    /// Not running and not coming back: Warden is shutting down, or the restart mode said so.
    case stopped
    /// Attached: the engine another supervisor runs has no main process Warden can find now, and why.
    case absent(since: Double, reason: String)
    /// Attached with no process at all (a bot on another host): only its probes and checks are watched.
    case remote(since: Double)

    public enum AfterStop: Sendable, Equatable {
        case restart(RestartReason)
        case halt
    }

    /// The engine's process (and process group) while one exists.
    public var pid: Int32? {
        switch self {
        case .running(let pid, _), .stopping(let pid, _, _): pid
        default: nil
        }
    }

    /// The word used by the status API and page.
    public var name: String {
        switch self {
        case .idle, .starting: "starting"
        case .running: "running"
        case .stopping: "stopping"
        case .backoff: "backoff"
        case .gaveUp: "gave_up"
        case .stopped: "stopped"
        case .absent: "absent"
        case .remote: "remote"
        }
    }

    /// Since when what Warden watches has been there: a process's start as Warden saw it, or a remote engine's
    /// first look. The engine is judged on what it does only then.
    public var watchedSince: Double? {
        switch self {
        case .running(_, let since), .remote(let since): since
        default: nil
        }
    }
}

/// Something that happened to one engine, in the order it happened. Stored in Warden's database.
public enum LifecycleRecord: Sendable, Equatable {
    case started(pid: Int32, reason: RestartReason?)
    case spawnFailed(message: String)
    /// `clean`: the status is one of `stop.clean_exit_codes`, a stop on purpose rather than a failure.
    case exited(pid: Int32, status: ExitStatus, ranFor: Double, clean: Bool)
    case restartScheduled(reason: RestartReason, delay: Double, attempt: Int)
    case killedAfterGrace(pid: Int32)
    case gaveUp(restartsInWindow: Int)
    /// A person restarted the engine after Warden gave up: the budget window starts afresh.
    case budgetReset
}

/// The last exit, as the status API shows it.
public struct ExitRecord: Sendable, Equatable {
    public var status: ExitStatus
    public var at: Double
    public var ranFor: Double
    /// One of the engine's clean exit codes.
    public var clean: Bool
}

/// The supervision rules for one engine as a pure state machine: events in, effects out. It never touches a
/// process, a clock or a socket, so every rule (backoff, budget, graceful stop, shutdown during backoff) is
/// tested without child processes; `EngineSupervisor` performs the effects.
public struct EngineLifecycle: Sendable {
    public enum Event: Sendable, Equatable {
        case startRequested
        case spawned(pid: Int32)
        case spawnFailed(message: String)
        case exited(pid: Int32, status: ExitStatus)
        case restartRequested(RestartReason)
        case stopRequested
        case timerFired(id: Int)
        /// A reload changed the stop or restart settings: they hold from now on, for the running process too.
        case reconfigured(RestartPolicy, StopPolicy)
    }

    public enum Effect: Sendable, Equatable {
        case spawn
        case signalGroup(pgid: Int32, Signal)
        /// Fire `timerFired(id)` after the delay; a newer timer replaces any older one.
        case startTimer(id: Int, after: Duration)
        case cancelTimer
        case record(LifecycleRecord)
        /// The engine is stopped for good and the supervisor may return.
        case finished
    }

    public private(set) var restart: RestartPolicy
    public private(set) var stop: StopPolicy
    public private(set) var state: EngineState = .idle
    public private(set) var ledger: BudgetLedger
    /// Unplanned exits and failed spawns since the last stable stretch: the exponent of the backoff.
    public private(set) var attempt = 0
    /// Since when the engine has been up without an unplanned exit. A restart Warden or a person asked for
    /// (health, remediation, manual, schedule) does not end the stretch: an engine that crashes every few
    /// minutes between policy restarts is not in a crash loop, and must not wait longer after each crash.
    private var upSince: Double?
    public private(set) var lastExit: ExitRecord?
    public private(set) var restartCounts: [RestartReason: Int] = [:]
    private var timerID = 0
    private var pendingTimer: Int?
    private var shuttingDown = false

    public init(restart: RestartPolicy, stop: StopPolicy, priorRestartTimes: [Double] = []) {
        self.restart = restart
        self.stop = stop
        self.ledger = BudgetLedger(budget: restart.budget, times: priorRestartTimes)
    }

    /// Applies one event at wall-clock time `now`; `random` in [0, 1) feeds the backoff jitter.
    public mutating func handle(_ event: Event, now: Double, random: Double = 0.5) -> [Effect] {
        switch (event, state) {
        case (.startRequested, .idle):
            state = .starting(reason: nil)
            return [.spawn]

        case (.spawned(let pid), .starting(let reason)):
            state = .running(pid: pid, since: now)
            upSince = upSince ?? now
            if let reason { restartCounts[reason, default: 0] += 1 }
            var effects: [Effect] = [.record(.started(pid: pid, reason: reason))]
            if shuttingDown { effects += beginStop(pid: pid, since: now, then: .halt) }
            return effects

        case (.spawnFailed(let message), .starting):
            endStretch(now: now)
            let effects: [Effect] = [.record(.spawnFailed(message: message))]
            if shuttingDown { return effects + finish() }
            return effects + afterFailure(reason: .exit, now: now, random: random)

        case (.exited(let pid, let status), .running(let runningPid, let since)) where pid == runningPid:
            let ranFor = now - since
            let clean = stop.isClean(status)
            lastExit = ExitRecord(status: status, at: now, ranFor: ranFor, clean: clean)
            endStretch(now: now)
            var effects: [Effect] = [
                .record(.exited(pid: pid, status: status, ranFor: ranFor, clean: clean)),
                // Whatever the engine left in its group (workers, leaked helpers holding broker
                // connections against the broker's limit) goes with it.
                .signalGroup(pgid: pid, .kill),
            ]
            if shuttingDown { return effects + finish() }
            switch restart.mode {
            case .never:
                state = .stopped
                return effects
            case .onFailure where clean:
                state = .stopped
                return effects
            case .always, .onFailure:
                let reason: RestartReason = if case .signaled = status { .signal } else { .exit }
                effects += afterFailure(reason: reason, now: now, random: random)
                return effects
            }

        case (.exited(let pid, let status), .stopping(let stoppingPid, let since, let then)) where pid == stoppingPid:
            let clean = stop.isClean(status)
            lastExit = ExitRecord(status: status, at: now, ranFor: now - since, clean: clean)
            var effects: [Effect] = [
                .cancelTimer,
                .record(.exited(pid: pid, status: status, ranFor: now - since, clean: clean)),
                .signalGroup(pgid: pid, .kill),
            ]
            pendingTimer = nil
            switch then {
            case .halt:
                return effects + finish()
            case .restart(let reason):
                if reason.isAutomatic && ledger.remaining(now: now) == 0 {
                    return effects + giveUp(now: now)
                }
                ledger.record(now: now)
                state = .starting(reason: reason)
                effects.append(.spawn)
                return effects
            }

        case (.timerFired(let id), .backoff(_, let reason)) where id == pendingTimer:
            pendingTimer = nil
            state = .starting(reason: reason)
            return [.spawn]

        case (.timerFired(let id), .stopping(let pid, _, _)) where id == pendingTimer:
            pendingTimer = nil
            return [.record(.killedAfterGrace(pid: pid)), .signalGroup(pgid: pid, .kill)]

        case (.restartRequested(let reason), .running(let pid, let since)) where !shuttingDown:
            return beginStop(pid: pid, since: since, then: .restart(reason))

        case (.restartRequested, .backoff(_, let pending)) where !shuttingDown:
            // Brought forward, not added: the restart was already counted when the backoff began.
            pendingTimer = nil
            state = .starting(reason: pending)
            return [.cancelTimer, .spawn]

        case (.restartRequested(let reason), .gaveUp), (.restartRequested(let reason), .stopped):
            // A person has looked at it (by hand, or by changing how it runs): the budget window and the
            // backoff start afresh.
            guard !reason.isAutomatic, !shuttingDown else { return [] }
            let wasGivenUp = if case .gaveUp = state { true } else { false }
            ledger.clear()
            attempt = 0
            state = .starting(reason: reason)
            return wasGivenUp ? [.record(.budgetReset), .spawn] : [.spawn]

        case (.reconfigured(let restart, let stop), _):
            self.restart = restart
            self.stop = stop
            ledger = BudgetLedger(budget: restart.budget, times: ledger.times)
            // A stop under way keeps the grace period it was given; the next one uses the new.
            return []

        case (.stopRequested, _):
            shuttingDown = true
            switch state {
            case .running(let pid, let since):
                return beginStop(pid: pid, since: since, then: .halt)
            case .stopping(let pid, let since, _):
                state = .stopping(pid: pid, since: since, then: .halt)
                return []
            case .starting:
                return []   // the spawn's outcome arrives next and is stopped then
            case .idle, .backoff, .gaveUp, .stopped, .absent, .remote:   // the last two are an attached engine's, never a child's
                return [.cancelTimer] + finish()
            }

        default:
            // Stale timers, exits of pids we already handled, requests that do not apply in this state.
            return []
        }
    }

    /// Restarts left in the current window.
    public func budgetRemaining(now: Double) -> Int { ledger.remaining(now: now) }

    private mutating func beginStop(pid: Int32, since: Double, then: EngineState.AfterStop) -> [Effect] {
        state = .stopping(pid: pid, since: since, then: then)
        let id = nextTimer()
        // SIGCONT after the stop signal, as systemd does: a stopped (SIGSTOP, a debugger, a frozen cgroup)
        // engine would otherwise hold its TERM pending and die unclean by SIGKILL at the end of the grace.
        let wake: [Effect] = stop.signal == .kill ? [] : [.signalGroup(pgid: pid, .cont)]
        return [.signalGroup(pgid: pid, stop.signal)] + wake + [.startTimer(id: id, after: stop.gracePeriod)]
    }

    private mutating func afterFailure(reason: RestartReason, now: Double, random: Double) -> [Effect] {
        if restart.mode == .never {
            state = .stopped
            return []
        }
        guard ledger.remaining(now: now) > 0 else { return giveUp(now: now) }
        let delay = restart.backoff.delay(attempt: attempt, random: random)
        let scheduled = LifecycleRecord.restartScheduled(reason: reason, delay: delay.seconds, attempt: attempt)
        attempt += 1
        ledger.record(now: now)
        if delay <= .zero {
            state = .starting(reason: reason)
            return [.record(scheduled), .spawn]
        }
        state = .backoff(until: now + delay.seconds, reason: reason)
        return [.record(scheduled), .startTimer(id: nextTimer(), after: delay)]
    }

    /// An unplanned exit (or a spawn that failed) ends the stretch of uptime; a stretch of `reset_after` or
    /// more was stable, and the next failure starts the backoff afresh.
    private mutating func endStretch(now: Double) {
        if let upSince, now - upSince >= restart.backoff.resetAfter.seconds { attempt = 0 }
        upSince = nil
    }

    private mutating func giveUp(now: Double) -> [Effect] {
        state = .gaveUp(since: now)
        return [.record(.gaveUp(restartsInWindow: ledger.count(now: now)))]
    }

    private mutating func finish() -> [Effect] {
        state = .stopped
        pendingTimer = nil
        return [.finished]
    }

    private mutating func nextTimer() -> Int {
        timerID += 1
        pendingTimer = timerID
        return timerID
    }
}
