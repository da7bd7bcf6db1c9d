import Foundation

/// A graceful restart through the supervisor, counted in the engine's restart budget. Trading state is
/// respected: with `deferWhile`, the restart waits while a value (such as a take-profit lock held now) is
/// non-zero, checking again every few seconds, for at most `maxDefer`; then an optional pre-stop hook runs.
/// While it waits the action is in flight: its policy takes no other step, and it is audited once.
public struct RestartAction: RemediationAction {
    public var preStop: (any RemediationAction)?
    public var deferWhile: DeferCondition?
    public var maxDefer: Duration

    public init(preStop: (any RemediationAction)? = nil, deferWhile: DeferCondition? = nil, maxDefer: Duration = .seconds(600)) {
        self.preStop = preStop
        self.deferWhile = deferWhile
        self.maxDefer = maxDefer
    }

    public var kind: String { "restart" }
    public var summary: String { "restart the engine" + (deferWhile.map { " unless \($0.description)" } ?? "") }

    public func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome {
        var notes: [String] = []
        if let deferWhile, let note = await wait(for: deferWhile, incident, context) { notes.append(note) }
        guard let supervisor = context.supervisor, let engine = context.engine, case .running(let pid, _) = engine.state else {
            return ActionOutcome(.skipped, (["the engine is not running"] + notes).joined(separator: "; "))
        }
        let now = Date().timeIntervalSince1970
        guard engine.ledger.remaining(now: now) > 0 else {
            return ActionOutcome(.failure, "the restart budget is spent (\(engine.ledger.budget.limit) per \(Units.formatDuration(engine.ledger.budget.window)))")
        }
        if let preStop {
            let hook = await preStop.perform(incident, context)
            // A failed hook is recorded, not obeyed: the engine is unhealthy enough to restart either way.
            notes.append("pre-stop hook \(preStop.summary): \(hook.result.rawValue), \(hook.detail)")
        }
        supervisor.requestRestart(incident.source.restartReason)
        // Success means a new process runs, not that a request was queued.
        // A child has its grace period to stop and 30 s to come back; an attached engine, its control timeout.
        let deadline = ContinuousClock.now + (supervisor.config.attachment?.controlTimeout ?? supervisor.config.stop.gracePeriod + .seconds(30))
        while ContinuousClock.now < deadline {
            if let state = context.board.status(of: supervisor.config.name)?.state {
                if case .running(let newPid, _) = state, newPid != pid {
                    return ActionOutcome(.success, (["restarted: pid \(pid) → \(newPid)"] + notes).joined(separator: "; "))
                }
                if case .gaveUp = state { return ActionOutcome(.failure, "the engine did not come back: restart budget spent") }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return ActionOutcome(.failure, (["the engine did not come back within the grace period and 30 s"] + notes).joined(separator: "; "))
    }

    /// Waits while the condition holds, up to `maxDefer`; says what happened when it waited at all.
    private func wait(for condition: DeferCondition, _ incident: Incident, _ context: ActionContext) async -> String? {
        let started = ContinuousClock.now
        let recheck = min(Duration.seconds(5), max(maxDefer / 10, .milliseconds(100)))
        var told = false
        while true {
            let observations = context.engine?.observations ?? EngineObservations()
            guard let held = await condition.holds(observations) else {
                return told ? "waited \(Units.formatDuration(.seconds(Int((ContinuousClock.now - started).seconds.rounded())))) for \(condition.description) to clear" : nil
            }
            if ContinuousClock.now - started >= maxDefer {
                return "restarted although \(held), after waiting \(Units.formatDuration(maxDefer))"
            }
            if !told {
                context.logger.notice("remediation restart deferred: \(held)",
                                      metadata: ["engine": "\(incident.engine)", "incident": "\(incident.id)"])
                told = true
            }
            try? await Task.sleep(for: recheck)
        }
    }
}

/// A value that postpones a restart while it is non-zero: a SQL query run fresh on the engine's database
/// (read-only), or a JSON pointer or log counter from the latest observations.
public struct DeferCondition: Sendable, CustomStringConvertible {
    public var source: ValueSource
    /// The database file, for SQL sources.
    public var path: String?
    public var timestamps: TimestampParser

    public init(source: ValueSource, path: String?, timestamps: TimestampParser) {
        self.source = source
        self.path = path
        self.timestamps = timestamps
    }

    public var description: String {
        switch source {
        case .sql(let probe, _): "the defer_while query on \(probe) is non-zero"
        case .json(let probe, let pointer): "\(probe) \(pointer) is non-zero"
        case .logHeartbeat(let rule), .logCounter(let rule): "log rule \(rule) is non-zero"
        }
    }

    /// Why the restart should wait, or nil when it may go ahead. An unreadable value defers too: not knowing
    /// whether a take-profit is under way is no licence to interrupt it.
    func holds(_ observations: EngineObservations) async -> String? {
        let value: Double?
        if case .sql(let probe, let sql) = source, let path {
            let run = SQLiteProbe(name: probe, path: path, interval: .seconds(1), timeout: .seconds(5),
                                  busyTimeout: .seconds(1), timestamps: timestamps,
                                  queries: [SQLQuery(name: "defer_while", sql: sql)])
            switch await run.run() {
            case .failure(let failure): return "cannot read the defer_while value: \(failure.description)"
            case .success(let output):
                guard case .sql(let rows) = output else { return "the defer_while query returned nothing" }
                value = rows["defer_while"]?.first?.first?.number ?? 0
            }
        } else {
            value = source.number(observations, queryName: "defer_while")
        }
        guard let value else { return "the defer_while value is missing" }
        return value != 0 ? "\(description) (\(value == value.rounded() ? String(Int(value)) : String(value)))" : nil
    }
}


extension ActionSource {
    /// How `warden_engine_restarts_total` counts a restart this source asked for.
    var restartReason: RestartReason {
        switch self {
        case .policy: .health
        case .alertmanager: .remediation
        }
    }
}
