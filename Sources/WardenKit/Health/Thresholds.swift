/// The value a level is judged against, and how far it may go at each level.
public struct Threshold: Sendable, Equatable {
    public var degraded: Double?
    public var unhealthy: Double?
    public var critical: Double?

    public init(degraded: Double? = nil, unhealthy: Double? = nil, critical: Double? = nil) {
        self.degraded = degraded
        self.unhealthy = unhealthy
        self.critical = critical
    }

    /// Switched off: every value is healthy.
    public static let off = Threshold()

    /// The worst level whose bound `value` reaches (`>=`, or `<=` when lower is worse), and that bound.
    func judge(_ value: Double, lowerIsWorse: Bool) -> (level: HealthLevel, bound: Double?) {
        let bounds: [(HealthLevel, Double?)] = [(.critical, critical), (.unhealthy, unhealthy), (.degraded, degraded)]
        for case (let level, let bound?) in bounds where lowerIsWorse ? value <= bound : value >= bound {
            return (level, bound)
        }
        return (.healthy, degraded ?? unhealthy ?? critical)
    }
}

/// Every value health is judged on: its component, its unit and its default threshold (the numbers of the
/// incidents in docs/incidents.md).
/// The config's `health.thresholds` keys are these raw values.
public enum HealthCheck: String, Sendable, CaseIterable, Codable {
    case memoryRatio = "memory_ratio"
    /// Resident memory of the engine's tree in bytes: off by default, for a fixed ceiling ("restart above 2GB").
    case memoryBytes = "memory_bytes"
    case cpuRatio = "cpu_ratio"
    case threads
    case apiLatency = "api_latency"
    case apiFailures = "api_failures"
    case websocketLag = "websocket_lag"
    case decisionAge = "decision_age"
    case heartbeatAge = "heartbeat_age"
    case monitorMismatch = "monitor_mismatch"
    case overduePositions = "overdue_positions"
    case unprotectedPositions = "unprotected_positions"
    case staleLocks = "stale_locks"
    /// Lock outcomes other than success (busy, recently executed) per minute: two loops fighting over one lock
    /// (docs/incidents.md).
    case lockContention = "lock_contention"
    case pnlDeviation = "pnl_deviation"
    case connectionHeadroom = "connection_headroom"
    /// A `rates:` entry's counter per minute (exchange warnings): bounds per entry, not in `health.thresholds`.
    case counterRate = "counter_rate"
    /// A `states:` entry reads other than expected (the bot is stopped or paused): its level is the entry's.
    case engineState = "engine_state"
    /// Not a threshold: the engine process's state (restarting, gave up, gone).
    case processState = "process_state"
    /// Not a threshold: an input that could not be read for `stale_input_after`.
    case inputMissing = "input_missing"
    /// Not a threshold: a remediation policy took every rung of its ladder and the condition stayed.
    case remediationExhausted = "remediation_exhausted"

    /// `flag`: 1 when the condition holds, else 0; shown as what it reads, not as a number.
    public enum Unit: Sendable { case count, seconds, ratio, bytes, perMinute, flag }

    /// Ages of something that should keep arriving (a decision, a heartbeat, a market message): while it stays
    /// away the value grows with the clock, so the moment it reaches a bound is known in advance.
    public var growsWithClock: Bool {
        switch self {
        case .websocketLag, .decisionAge, .heartbeatAge: true
        default: false
        }
    }

    public var unit: Unit {
        switch self {
        case .apiLatency, .websocketLag, .decisionAge, .heartbeatAge: .seconds
        case .memoryRatio, .cpuRatio, .pnlDeviation: .ratio
        case .memoryBytes: .bytes
        case .lockContention, .counterRate: .perMinute
        case .engineState: .flag
        default: .count
        }
    }

    /// Connection headroom (limit minus connections) gets worse as it falls.
    public var lowerIsWorse: Bool { self == .connectionHeadroom }

    /// Whether its value is judged against bounds (of `health.thresholds` or of its entry), as against facts
    /// (the process state, a missing input, a spent ladder) and flags, which have a level and no bound.
    public var hasBounds: Bool {
        ![.processState, .inputMissing, .remediationExhausted].contains(self) && unit != .flag
    }

    /// Whether `health.thresholds` may set a threshold for it. Rates and states take theirs in their own entry.
    public var isConfigurable: Bool {
        ![.processState, .inputMissing, .remediationExhausted, .counterRate, .engineState].contains(self)
    }

    /// The thresholds the incidents' own monitors used (docs/incidents.md): memory 85%, CPU 90%, 500 threads,
    /// API 5 s and WebSocket 60 s; 300 s without a decision and three unanswered health checks; any lost
    /// monitor or overdue position, any stale lock, any unprotected position, and the broker's limit.
    public var defaultThreshold: Threshold {
        switch self {
        case .memoryRatio: Threshold(unhealthy: 0.85)
        // CPU seconds per second: 0.9 is 90% of one core, a busy loop in a single-threaded bot.
        case .cpuRatio: Threshold(degraded: 0.9)
        case .threads: Threshold(unhealthy: 500)
        case .apiLatency: Threshold(degraded: 5)
        case .apiFailures: Threshold(degraded: 1, unhealthy: 3)
        case .websocketLag: Threshold(unhealthy: 60)
        case .decisionAge, .heartbeatAge: Threshold(unhealthy: 300)
        case .monitorMismatch, .overduePositions, .staleLocks: Threshold(unhealthy: 1)
        // Nothing protects such a position, and Warden cannot add a stop: a person must.
        case .unprotectedPositions: Threshold(critical: 1)
        case .pnlDeviation: Threshold(degraded: 0.01, unhealthy: 0.03)
        // The lock did its job, but something keeps trying to run the same take-profit twice: worth a look.
        case .lockContention: Threshold(degraded: 1)
        // At the limit the broker refuses the next connection; one below is the warning.
        case .connectionHeadroom: Threshold(degraded: 1, unhealthy: 0)
        case .memoryBytes, .processState, .inputMissing, .remediationExhausted, .counterRate, .engineState: .off
        }
    }

    /// `value` as people read it: 91% for ratios, 4m10s for seconds.
    public func format(_ value: Double) -> String {
        switch unit {
        case .count:
            return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .seconds:
            return value < 1 ? "\(Int((value * 1000).rounded()))ms" : Units.formatDuration(.seconds(Int(value.rounded())))
        case .perMinute:
            let tenths = (value * 10).rounded() / 10
            return tenths == tenths.rounded() ? "\(Int(tenths))/min" : "\(tenths)/min"
        case .bytes:
            return value >= 1_048_576 ? "\(Int((value / 1_048_576).rounded()))MiB" : "\(Int(value))B"
        case .flag:
            return value >= 1 ? "yes" : "no"
        case .ratio:
            let percent = value * 100
            return percent >= 10 || percent == percent.rounded() ? "\(Int(percent.rounded()))%" : "\((percent * 10).rounded() / 10)%"
        }
    }
}

/// How one engine is judged: how often, with what hysteresis, against which thresholds. The defaults, and
/// why they are what they are, are the config model's (`ConfigFile.Health`).
public struct HealthSettings: Sendable, Equatable {
    public var evaluateEvery = ConfigFile.Health().evaluateEvery
    public var escalateAfter = ConfigFile.Health().escalateAfter
    public var recoverAfter = ConfigFile.Health().recoverAfter
    public var startupGrace = ConfigFile.Health().startupGrace
    /// An input (probe, check value) missing for this long is itself a DEGRADED finding.
    public var staleInputAfter = ConfigFile.Health().staleInputAfter
    public var thresholds: [HealthCheck: Threshold] = [:]
    /// Bounds of checks judged per entry (`rates:`, `states:`), by check and then the entry's name.
    public var entryThresholds: [HealthCheck: [String: Threshold]] = [:]

    public init() {}

    /// The bounds `subject`'s value of `check` is judged against: its entry's, else the check's.
    public func threshold(_ check: HealthCheck, subject: String? = nil) -> Threshold {
        if let subject, let own = entryThresholds[check]?[subject] { return own }
        return thresholds[check] ?? check.defaultThreshold
    }
}
