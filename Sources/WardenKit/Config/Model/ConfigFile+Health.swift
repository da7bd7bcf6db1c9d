extension ConfigFile {
    /// `health:`: how often the engine is judged, with what hysteresis, against which thresholds.
    public struct Health: Sendable, Equatable, Encodable {
        /// The incidents' own monitors looked every 60 s (docs/incidents.md); Warden's inputs are cheaper, so
        /// it looks every 10 s and still waits three evaluations (30 s) before it believes a problem.
        @DurationNotation public var evaluateEvery: Duration = .seconds(10)
        public var escalateAfter = 3
        public var recoverAfter = 3
        /// A freshly started engine is still connecting: it is judged on what it does only after 15 s.
        @DurationNotation public var startupGrace: Duration = .seconds(15)
        /// An input (probe, check value) missing for this long is itself a DEGRADED finding.
        @DurationNotation public var staleInputAfter: Duration = .seconds(60)
        /// The thresholds written; every other check keeps its `HealthCheck.defaultThreshold`. Bounds are in
        /// the check's unit: seconds, a ratio, bytes or a count.
        @ThresholdTable public var thresholds: [HealthCheck: Threshold] = [:]

        enum CodingKeys: String, CodingKey {
            case evaluateEvery = "evaluate_every", escalateAfter = "escalate_after", recoverAfter = "recover_after"
            case startupGrace = "startup_grace", staleInputAfter = "stale_input_after", thresholds
        }

        /// The bounds must grow worse from degraded to critical.
        static func validate(_ threshold: Threshold, of check: HealthCheck) -> String? {
            let bounds = [threshold.degraded, threshold.unhealthy, threshold.critical].compactMap { $0 }
            if bounds.isEmpty { return "give at least one of degraded, unhealthy, critical (or off)" }
            guard bounds != (check.lowerIsWorse ? bounds.sorted(by: >) : bounds.sorted()) else { return nil }
            return "bounds must \(check.lowerIsWorse ? "fall" : "rise") from degraded to unhealthy to critical"
        }
    }
}

/// Thresholds by check, in the order of `HealthCheck.allCases`.
@propertyWrapper
public struct ThresholdTable: Sendable, Equatable, Encodable {
    public var wrappedValue: [HealthCheck: Threshold]

    public init(wrappedValue: [HealthCheck: Threshold]) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        let written = HealthCheck.allCases.compactMap { check in
            wrappedValue[check].map { (check.rawValue, WrittenThreshold(threshold: $0, unit: check.unit)) }
        }
        try NamedValues(entries: written).encode(to: encoder)
    }
}

/// A threshold as the config writes it: `off`, or bounds in the notation of the check's unit (`2m`, `2GB`;
/// ratios and counts as numbers).
struct WrittenThreshold: Encodable {
    let threshold: Threshold
    let unit: HealthCheck.Unit

    enum CodingKeys: String, CodingKey { case degraded, unhealthy, critical }

    func encode(to encoder: any Encoder) throws {
        guard threshold != .off else {
            var container = encoder.singleValueContainer()
            try container.encode(PlainScalar("off"))
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        for (key, bound) in [(CodingKeys.degraded, threshold.degraded), (.unhealthy, threshold.unhealthy), (.critical, threshold.critical)] {
            guard let bound else { continue }
            switch unit {
            case .seconds: try container.encode(PlainScalar(DurationFormat.text(.seconds(double: bound))), forKey: key)
            case .bytes: try container.encode(PlainScalar(ByteSizeFormat.text(Int64(bound))), forKey: key)
            case .perMinute: try container.encode(PlainScalar(NumberFormat.text(bound) + "/min"), forKey: key)
            case .ratio, .count, .flag: try container.encode(PlainScalar(NumberFormat.text(bound)), forKey: key)
            }
        }
    }
}
