import Synchronization

/// What one engine looks like right now: the supervisor's view, the latest resource sample and observations,
/// and the health monitor's latest reading and judgement. A plain value: the status API, the metrics and the
/// health monitor all read copies of it.
public struct EngineStatus: Sendable {
    public var name: String
    public var state: EngineState = .idle
    public var attempt = 0
    public var restartCounts: [RestartReason: Int] = [:]
    public var ledger: BudgetLedger
    public var lastExit: ExitRecord?
    public var lastStartError: String?
    public var resources: ResourceSample?
    /// Latest probe outcomes and log-rule state: the inputs of the checks.
    public var observations = EngineObservations()
    /// The judgement of the health monitor, and what remediation did about it.
    public var health = EngineHealth()
    public var remediation = RemediationRecord()
    /// A person working on the engine: no remediation, no level alerts.
    public var maintenance: Maintenance?
    /// Another supervisor runs the engine: how Warden finds it, and who restarts it.
    public var attachment: StatusDocument.Attachment?
    /// Moves on with every update on the board: two copies of one engine's status with the same revision are
    /// the same, so what was derived from one (rendered metric lines) holds for the other.
    public internal(set) var revision = 0

    public init(name: String, budget: RestartBudget) {
        self.name = name
        self.ledger = BudgetLedger(budget: budget)
    }

    public var pid: Int32? { state.pid }

    public var startedAt: Double? {
        switch state {
        case .running(_, let since), .stopping(_, let since, _), .remote(let since): since
        default: nil
        }
    }

    public var isUp: Bool { pid != nil }

    /// The observations as the checks read them at `now`: expired reports gone, the start time of this run set.
    public func currentObservations(now: Double) -> EngineObservations {
        var current = observations
        current.engineStartedAt = startedAt
        current.probes = current.probes.mapValues { $0.current(now: now) }
        return current
    }

    public func backoffRemaining(now: Double) -> Double {
        if case .backoff(let until, _) = state { return max(0, until - now) }
        return 0
    }

    /// The restart budget is spent and Warden has stopped restarting the engine.
    public var gaveUp: Bool {
        if case .gaveUp = state { return true }
        return false
    }

    /// The restart budget is spent, or a remediation policy took every rung without effect: a person must look.
    public var needsHuman: Bool { gaveUp || !remediation.exhausted.isEmpty }
}

/// What the health monitor last concluded about one engine.
public struct EngineHealth: Sendable {
    /// The worst component; HEALTHY before the first evaluation.
    public var level: HealthLevel = .healthy
    public var components: [HealthComponent: ComponentHealth] = [:]
    /// Transitions since Warden started, by component and new level.
    public var transitionCounts: [HealthComponent: [HealthLevel: Int]] = [:]
    /// The latest transitions, newest first.
    public var recentTransitions: [HealthTransition] = []
    public var evaluatedAt: Double?
    /// The latest reading of the engine's checks: what `/metrics` and the status show of them.
    public var reading: EngineReading?
    /// The last hour of the key values, one point per evaluation, oldest first: the status page's sparklines.
    public var trend: [TrendPoint] = []

    static let trendSpan = 3600.0
}

/// The key values of one evaluation (nil: not measured then).
public struct TrendPoint: Sendable, Equatable {
    public var at: Double
    public var decisionAge: Double?
    public var websocketLag: Double?
    public var memoryRatio: Double?
    public var mismatch: Double?

    public init(at: Double, decisionAge: Double? = nil, websocketLag: Double? = nil, memoryRatio: Double? = nil,
                mismatch: Double? = nil) {
        self.at = at
        self.decisionAge = decisionAge
        self.websocketLag = websocketLag
        self.memoryRatio = memoryRatio
        self.mismatch = mismatch
    }

    /// The point's values from an evaluation's reading and resource sample.
    init(at: Double, reading: EngineReading, resources: ResourceSample?) {
        self.init(at: at, decisionAge: reading.largest(Catalog.decisionAge), websocketLag: reading.largest(Catalog.websocketLag),
                  memoryRatio: resources?.memoryRatio, mismatch: reading.largest(Catalog.monitorMismatch))
    }
}

/// What remediation did for one engine since Warden started.
public struct RemediationRecord: Sendable {
    /// Actions by kind and result, for `warden_remediations_total`.
    public var counts: [String: [ActionResult: Int]] = [:]
    /// The latest audit entries, newest first.
    public var recent: [AuditEntry] = []
    /// Policies that took every rung and stopped acting: a person is needed.
    public var exhausted: [String] = []

    static let kept = 20

    mutating func note(_ entry: AuditEntry) {
        if let id = entry.id, let index = recent.firstIndex(where: { $0.id == id }) {
            recent[index] = entry
        } else {
            recent.insert(entry, at: 0)
            if recent.count > Self.kept { recent.removeLast() }
        }
        if let result = entry.result { counts[entry.action, default: [:]][result, default: 0] += 1 }
    }
}

/// The read model every observer shares. Writers are the supervisors and samplers; readers (HTTP handlers,
/// the scrape) take consistent copies under a short lock and never block a writer for long.
public final class StatusBoard: Sendable {
    private let engines: Mutex<[String: EngineStatus]>
    /// Revisions are drawn from one counter for every engine, so that an engine added again under a name never
    /// repeats a revision its predecessor had.
    private let revisions = Atomic<Int>(0)
    /// The configured engines, in config order; a reload changes them.
    private let names: Mutex<[String]>
    private let startedOnce = Mutex<Set<String>>([])
    /// Rung when something new about the engine is published: its process changed state, a slot's probes or a
    /// pushed report arrived. The engine's judge takes a reading at each ring.
    private let news: Mutex<[String: Doorbell]>

    public init(engines: [EngineConfig]) {
        self.engines = Mutex([:])
        names = Mutex([])
        news = Mutex([:])
        arrange(engines)
    }

    public var engineNames: [String] { names.withLock { $0 } }

    /// Makes the board show exactly these engines, in this order: an engine new to it starts from nothing, one
    /// no longer configured leaves it (and its metrics) with everything it had, one that stays keeps its status.
    public func arrange(_ configured: [EngineConfig]) {
        var order: [String] = []
        for engine in configured where !order.contains(engine.name) { order.append(engine.name) }
        let kept = Set(order)
        engines.withLock { engines in
            engines = engines.filter { kept.contains($0.key) }
            for engine in configured where engines[engine.name] == nil {
                engines[engine.name] = EngineStatus(name: engine.name, budget: engine.restart.budget)
            }
            // What the metrics show of an engine may depend on its config too (its action kinds): new revisions.
            for name in engines.keys { engines[name]?.revision = revisions.wrappingAdd(1, ordering: .relaxed).newValue }
        }
        news.withLock { bells in
            bells = bells.filter { kept.contains($0.key) }
            for name in order where bells[name] == nil { bells[name] = Doorbell() }
        }
        startedOnce.withLock { $0.formIntersection(kept) }
        names.withLock { $0 = order }
    }

    public func update(_ name: String, _ change: (inout EngineStatus) -> Void) {
        engines.withLock { engines in
            if var status = engines[name] {
                change(&status)
                status.revision = revisions.wrappingAdd(1, ordering: .relaxed).newValue
                engines[name] = status
            }
        }
    }

    /// Tells whoever listens for news of the engine (its judge) that something new was published.
    public func announce(_ name: String) {
        news.withLock { $0[name] }?.ring()
    }

    /// The bell `announce(_:)` rings for the engine.
    func newsBell(of name: String) -> Doorbell {
        news.withLock { $0[name] } ?? Doorbell()
    }

    public func status(of name: String) -> EngineStatus? {
        engines.withLock { $0[name] }
    }

    /// All engines in config order.
    public func snapshot() -> [EngineStatus] {
        let all = engines.withLock { $0 }
        return engineNames.compactMap { all[$0] }
    }

    /// Readiness: every engine has had its first start attempt (whatever its outcome). The config is loaded and
    /// the store open by then: Warden does not start serving without them.
    func markStartAttempted(_ name: String) {
        _ = startedOnce.withLock { $0.insert(name) }
    }

    public var allStartsAttempted: Bool {
        Set(engineNames).isSubset(of: startedOnce.withLock { $0 })
    }
}
