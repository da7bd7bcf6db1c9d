extension ConfigFile.Health {
    static func read(_ map: MappingReader) -> Self {
        var health = Self()
        health.evaluateEvery = map[CodingKeys.evaluateEvery]?.duration(allowZero: false) ?? health.evaluateEvery
        health.escalateAfter = map[CodingKeys.escalateAfter]?.int(in: 1...1000) ?? health.escalateAfter
        health.recoverAfter = map[CodingKeys.recoverAfter]?.int(in: 1...1000) ?? health.recoverAfter
        health.startupGrace = map[CodingKeys.startupGrace]?.duration() ?? health.startupGrace
        health.staleInputAfter = map[CodingKeys.staleInputAfter]?.duration(allowZero: false) ?? health.staleInputAfter
        if let thresholds = map[CodingKeys.thresholds]?.mapping() {
            defer { thresholds.finish() }
            for check in HealthCheck.allCases where check.isConfigurable {
                if let value = thresholds[check.rawValue], let threshold = readThreshold(value, check) {
                    health.thresholds[check] = threshold
                }
            }
        }
        return health
    }

    /// `off`, or a mapping of `degraded`, `unhealthy` and `critical` bounds: numbers, `85%` for ratios,
    /// durations for times, sizes for bytes.
    private static func readThreshold(_ value: YAMLValue, _ check: HealthCheck) -> Threshold? {
        if case .scalar(let scalar) = value.node, scalar.string == "off" { return .off }
        return value.readMapping { map in readBounds(map, check) }
    }

    /// The `degraded`, `unhealthy` and `critical` keys of `map`, in the unit of `check`.
    static func readBounds(_ map: MappingReader, _ check: HealthCheck) -> Threshold {
        func bound(_ key: String) -> Double? {
            guard let value = map[key] else { return nil }
            switch check.unit {
            case .seconds: return value.duration()?.seconds
            case .ratio: return value.ratio()
            case .bytes: return value.byteSize().map(Double.init)
            case .perMinute: return value.ratePerMinute()
            case .count, .flag: return value.double(in: -1e12...1e12)
            }
        }
        let threshold = Threshold(degraded: bound("degraded"), unhealthy: bound("unhealthy"), critical: bound("critical"))
        if let problem = validate(threshold, of: check) { map.fail(problem) }
        return threshold
    }
}
