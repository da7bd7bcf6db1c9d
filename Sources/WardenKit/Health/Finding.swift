/// One judged value: what was measured, against which bound, and the level it earns.
public struct Finding: Sendable, Equatable {
    public var check: HealthCheck
    public var level: HealthLevel
    public var value: Double?
    /// The bound `value` reached, or the first bound it would reach when healthy.
    public var threshold: Double?
    /// Which one, when a check has several: a probe, a stream or an endpoint.
    public var subject: String?
    /// A sentence for people: "monitor mismatch 6 (UNHEALTHY at 1)".
    public var message: String

    public init(check: HealthCheck, level: HealthLevel, value: Double?, threshold: Double?, subject: String? = nil,
                message: String) {
        self.check = check
        self.level = level
        self.value = value
        self.threshold = threshold
        self.subject = subject
        self.message = message
    }

    /// A value judged against its threshold; the message names both. A flag is told by `detail` (what was read)
    /// and its level alone: "engine state (trading) stopped, expected running (DEGRADED)".
    public static func judged(_ check: HealthCheck, _ value: Double, _ threshold: Threshold,
                              subject: String? = nil, detail: String? = nil) -> Finding {
        let (level, bound) = threshold.judge(value, lowerIsWorse: check.lowerIsWorse)
        let what = check.rawValue.replacingOccurrences(of: "_", with: " ") + (subject.map { " (\($0))" } ?? "")
        let shown = check.unit == .flag ? (detail ?? check.format(value)) : check.format(value)
        var message = "\(what) \(shown)"
        if level > .healthy {
            message += check.unit == .flag ? " (\(level.name))"
                : " (\(level.name) at \(check.lowerIsWorse ? "≤" : "≥") \(check.format(bound ?? 0)))"
        }
        if check.unit != .flag, let detail { message += ": \(detail)" }
        return Finding(check: check, level: level, value: value, threshold: bound, subject: subject, message: message)
    }
}

extension Finding {
    /// The finding as it reads at `level`, below its own: its value against that level's bound, so that a message
    /// announcing DEGRADED quotes the DEGRADED bound ("api failures (ping) 3 (DEGRADED at ≥ 1)") and not the
    /// bound of a level the hysteresis has not reached. Whatever the message adds after the judgement (a probe's
    /// failure) stays.
    func stated(at level: HealthLevel, threshold: Threshold) -> Finding {
        guard level < self.level, level > .healthy, let value, check.hasBounds else { return self }
        var capped = threshold
        if level < .critical { capped.critical = nil }
        if level < .unhealthy { capped.unhealthy = nil }
        var restated = Finding.judged(check, value, capped, subject: subject)
        guard restated.level == level else { return self }
        let judgement = Finding.judged(check, value, threshold, subject: subject).message
        if message.hasPrefix(judgement) { restated.message += message.dropFirst(judgement.count) }
        return restated
    }
}

/// A component's raw judgement from one evaluation.
public struct Reading: Sendable, Equatable {
    public var findings: [Finding]
    /// A fact that cannot wait (the restart budget is spent, the engine is gone for good): no hysteresis.
    public var urgent: Bool

    public init(_ findings: [Finding], urgent: Bool = false) {
        self.findings = findings
        self.urgent = urgent
    }

    public var level: HealthLevel { findings.map(\.level).max() ?? .healthy }

    /// The finding behind the level: the first of the worst.
    public var worst: Finding? {
        findings.first { $0.level == level }
    }
}

/// What one evaluation saw of a component.
public enum ComponentInput: Sendable, Equatable {
    case reading(Reading)
    /// The component is configured but none of its inputs produced a value.
    case noData
    /// Not judged now (the engine is not running, or is still starting): its level holds.
    case notJudged
}
