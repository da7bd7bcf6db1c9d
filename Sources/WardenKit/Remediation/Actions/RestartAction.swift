import Foundation
import Synchronization

/// A graceful restart through the supervisor, counted in the engine's restart budget. Trading state is
/// respected: an optional pre-stop hook runs first, and `deferWhile` postpones the restart while a value
/// (seed 002: a take-profit lock held now) is non-zero, for at most `maxDefer`.
public struct RestartAction: RemediationAction {
    public var preStop: (any RemediationAction)?
    public var deferWhile: DeferCondition?
    public var maxDefer: Duration
    private let deferrals = Deferrals()

    public init(preStop: (any RemediationAction)? = nil, deferWhile: DeferCondition? = nil, maxDefer: Duration = .seconds(600)) {
        self.preStop = preStop
        self.deferWhile = deferWhile
        self.maxDefer = maxDefer
    }

    public var kind: String { "restart" }
    public var summary: String { "restart the engine" + (deferWhile.map { " unless \($0.description)" } ?? "") }

    public func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome {
        guard let supervisor = context.supervisor, let engine = context.engine, case .running(let pid, _) = engine.state else {
            return ActionOutcome(.skipped, "the engine is not running")
        }
        let now = Date().timeIntervalSince1970
        guard engine.ledger.remaining(now: now) > 0 else {
            return ActionOutcome(.failure, "the restart budget is spent (\(engine.ledger.budget.limit) per \(Units.formatDuration(engine.ledger.budget.window)))")
        }
        var notes: [String] = []
        if let deferWhile {
            let held = await deferWhile.holds(engine.observations)
            let since = deferrals.since(incident.id, now: now)
            if let held, now - since < maxDefer.seconds {
                return ActionOutcome(.deferred, "deferred: \(held)")
            }
            if let held { notes.append("restarted although \(held), deferred for \(Units.formatDuration(maxDefer)) already") }
        }
        deferrals.clear(incident.id)
        if let preStop {
            let hook = await preStop.perform(incident, context)
            // A failed hook is recorded, not obeyed: the engine is unhealthy enough to restart either way.
            notes.append("pre-stop hook \(preStop.summary): \(hook.result.rawValue), \(hook.detail)")
        }
        supervisor.requestRestart(incident.source.hasPrefix("alertmanager") ? .remediation : .health)
        // Success means a new process runs, not that a request was queued.
        let deadline = ContinuousClock.now + supervisor.config.stop.gracePeriod + .seconds(30)
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

/// When each incident's restart was first deferred.
private final class Deferrals: Sendable {
    private let first = Mutex<[String: Double]>([:])

    func since(_ id: String, now: Double) -> Double {
        first.withLock { map in
            if let since = map[id] { return since }
            map[id] = now
            return now
        }
    }

    func clear(_ id: String) {
        _ = first.withLock { $0.removeValue(forKey: id) }
    }
}
