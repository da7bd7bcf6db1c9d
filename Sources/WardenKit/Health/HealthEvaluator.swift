/// Turns one engine's reading into a raw judgement per component. Pure: the status, the reading and the clock
/// in, judgements out.
public struct HealthEvaluator: Sendable {
    public var settings: HealthSettings
    /// Each probe's kind, by name: the component its state is judged in.
    public var probeKinds: [String: ProbeConfig.Kind]
    /// Components with at least one configured input; the others are not judged at all.
    public var components: Set<HealthComponent>

    public init(settings: HealthSettings, watch: WatchConfig) {
        self.settings = settings
        probeKinds = Dictionary(watch.probes.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first })
        components = watch.judgedComponents
    }

    public func readings(_ status: EngineStatus, _ reading: EngineReading, now: Double) -> [HealthComponent: ComponentInput] {
        var result: [HealthComponent: ComponentInput] = [.process: process(status.state)]
        // Only a running engine past its startup grace is judged on what it does.
        guard let startedAt = status.state.watchedSince,
              now - startedAt >= settings.startupGrace.seconds else {
            for component in components where component != .process { result[component] = .notJudged }
            return result
        }
        var findings: [HealthComponent: [Finding]] = [:]
        func add(_ component: HealthComponent, _ finding: Finding) { findings[component, default: []].append(finding) }
        func judge(_ check: HealthCheck, _ value: Double, subject: String? = nil, detail: String? = nil) {
            guard let component = check.component else { return }
            add(component, .judged(check, value, settings.threshold(check, subject: subject), subject: subject, detail: detail))
        }

        for (name, outcome) in status.observations.probes.sorted(by: { $0.key < $1.key }) {
            guard let kind = probeKinds[name] else { continue }
            let component = kind.component
            let current = outcome.current(now: now)
            let asked: Bool = if case .http = kind { true } else { false }
            if current.success {
                switch current.output {
                case .fileAge(let age): judge(.heartbeatAge, age + max(0, now - current.at), subject: name)
                default:
                    if asked {
                        judge(.apiLatency, current.durationSeconds, subject: name)
                        judge(.apiFailures, 0, subject: name)
                    } else {
                        add(component, Self.missing(probe: name, for: 0, because: nil))
                    }
                }
            } else if asked {
                // One unanswered health check is a warning, three in a row a problem.
                var finding = Finding.judged(.apiFailures, Double(current.consecutiveFailures), settings.threshold(.apiFailures),
                                             subject: name)
                finding.message += ": \(current.failure ?? "failed")"
                add(component, finding)
            } else {
                let failingFor = now - (current.failingSince ?? current.at)
                var finding = Self.missing(probe: name, for: failingFor, because: current.failure)
                // A short failure is said, not judged: the next run may well read again.
                if failingFor < settings.staleInputAfter.seconds { finding.level = .healthy }
                add(component, finding)
            }
        }
        // A bot whose state is not the expected one (stopped, paused) decides nothing on purpose: its state is the
        // finding, and its decision age is shown but not judged, so that no silent-loop policy restarts a bot a
        // person stopped.
        let stateExplains = reading.measurements.first { $0.check == .engineState && $0.value >= 1 }
        for measurement in reading.measurements {
            let value = reading.aged(measurement.value, of: measurement.check, now: now)
            if measurement.check == .decisionAge, let state = stateExplains, let component = measurement.check.component {
                var shown = Finding.judged(.decisionAge, value, .off)
                shown.message += ", not judged while engine state (\(state.subject ?? "")) is \(state.detail ?? "not as expected")"
                add(component, shown)
                continue
            }
            judge(measurement.check, value, subject: measurement.subject, detail: measurement.detail)
        }

        for component in components where component != .process {
            result[component] = findings[component].map { .reading(Reading($0)) } ?? .noData
        }
        return result
    }

    /// When the soonest growing age among `inputs` reaches its next bound if nothing new arrives. The judge
    /// evaluates then rather than at its next tick, so that a silent loop is caught at its threshold instead of
    /// up to `evaluate_every` after it.
    public func nextCrossing(_ inputs: [HealthComponent: ComponentInput], now: Double) -> Double? {
        var soonest: Double?
        for case .reading(let reading) in inputs.values {
            for finding in reading.findings where finding.check.growsWithClock {
                let threshold = settings.threshold(finding.check, subject: finding.subject)
                guard let value = finding.value,
                      let bound = [threshold.degraded, threshold.unhealthy, threshold.critical].compactMap({ $0 })
                          .filter({ $0 > value }).min() else { continue }
                soonest = min(soonest ?? .infinity, now + bound - value)
            }
        }
        return soonest
    }

    /// The judge's sleep: until its next tick (`untilTick` away), or just past a crossing that comes first
    /// (never a busy loop).
    public static func pause(_ untilTick: Duration, until crossing: Double?, now: Double) -> Duration {
        guard let crossing else { return untilTick }
        return min(untilTick, .seconds(max(0.01, crossing - now + 0.002)))
    }

    private func process(_ state: EngineState) -> ComponentInput {
        let finding = { (level: HealthLevel, message: String) in
            Finding(check: .processState, level: level, value: nil, threshold: nil, message: message)
        }
        switch state {
        case .idle:
            return .notJudged
        case .running:
            return .reading(Reading([finding(.healthy, "running")]))
        case .starting, .stopping, .backoff:
            return .reading(Reading([finding(.degraded, "restarting (\(state.name))")]))
        case .gaveUp:
            return .reading(Reading([finding(.critical, "restart budget spent: Warden stopped restarting the engine; a human is needed")],
                                    urgent: true))
        case .stopped:
            return .reading(Reading([finding(.critical, "the engine exited and its restart mode does not restart it")],
                                    urgent: true))
        case .absent(_, let reason):
            // Its own supervisor may be restarting it: worth a look, and hysteresis decides whether it lasts.
            return .reading(Reading([finding(.degraded, "not found: \(reason)")]))
        case .remote:
            return .notJudged
        }
    }

    /// How long an input has read nothing: DEGRADED, or HEALTHY for a probe that reads (0 s).
    static func missing(probe: String?, for seconds: Double, because reason: String?) -> Finding {
        if seconds == 0, let probe {
            return Finding(check: .inputMissing, level: .healthy, value: 0, threshold: nil, subject: probe,
                           message: "probe \(probe) reads")
        }
        let what = probe.map { "probe \($0) has read nothing" } ?? "no value"
        return Finding(check: .inputMissing, level: .degraded, value: seconds, threshold: nil, subject: probe,
                       message: "\(what) for \(HealthCheck.decisionAge.format(seconds))" + (reason.map { ": \($0)" } ?? ""))
    }
}
