/// One value health judges: which check, of what (a stream, an endpoint), and how much.
public struct Measurement: Sendable, Equatable {
    public var check: HealthCheck
    public var subject: String?
    public var value: Double
    /// What was read, in words (a state's text and what was expected).
    public var detail: String?

    public init(_ check: HealthCheck, _ value: Double, subject: String? = nil, detail: String? = nil) {
        self.check = check
        self.subject = subject
        self.value = value
        self.detail = detail
    }
}

/// What one look at an engine read: its checks run once on the latest observations, plus the rates that need a
/// history (CPU, per-minute rates of counters). Health evaluation, `/metrics`, the status API and the status page
/// all read this one value; nothing downstream runs a check again.
public struct EngineReading: Sendable {
    /// When it was read. Ages (`HealthCheck.growsWithClock`) are as of this instant.
    public var at: Double
    /// Every value the checks produced, in check order: what `/metrics` shows.
    public var values: [CheckValue]
    /// What health judges, in a stable order: resources, then the checks' values, then their rates.
    public var measurements: [Measurement]

    public init(at: Double, values: [CheckValue] = [], measurements: [Measurement] = []) {
        self.at = at
        self.values = values
        self.measurements = measurements
    }

    /// A shown value as of `now`: ages keep growing after the reading, other values stand.
    public func value(_ value: CheckValue, now: Double) -> Double {
        guard case .value(let check)? = value.feeds else { return value.value }
        return aged(value.value, of: check, now: now)
    }

    /// A value of `check` read at this reading's instant, as of `now`.
    public func aged(_ value: Double, of check: HealthCheck, now: Double) -> Double {
        check.growsWithClock ? value + max(0, now - at) : value
    }

    /// The largest value of a metric family, if any check produced one.
    public func largest(_ metric: MetricFamily) -> Double? {
        values.filter { $0.metric == metric }.map(\.value).max()
    }
}

/// Takes readings of one engine. Owned by that engine's judge: it keeps the history the rates need.
public struct EngineReader: Sendable {
    public let checks: [any Check]
    /// How far back a per-minute rate looks.
    public let rateWindow: Double
    private var cpu = CPURate()
    private var rates: [RateKey: RateWindow] = [:]

    /// One rate: its check and, for checks with a rate per entry, the entry.
    private struct RateKey: Hashable {
        var check: HealthCheck
        var subject: String?
    }

    public init(checks: [any Check], rateWindow: Double) {
        self.checks = checks
        self.rateWindow = rateWindow
    }

    /// The engine's checks on its observations as of `now`, with its resources and rates.
    public mutating func read(_ status: EngineStatus, now: Double) -> EngineReading {
        let observations = status.currentObservations(now: now)
        let values = checks.flatMap { $0.values(observations, now: now) }
        var measurements: [Measurement] = []
        // Only a sample of the current process describes it.
        if let resources = status.resources, let startedAt = status.startedAt, resources.sampledAt >= startedAt {
            measurements.append(Measurement(.memoryRatio, resources.memoryRatio))
            measurements.append(Measurement(.memoryBytes, Double(resources.residentBytes)))
            measurements.append(Measurement(.threads, Double(resources.threads)))
            if let ratio = cpu.ratio(resources) { measurements.append(Measurement(.cpuRatio, ratio)) }
        }
        var totals: [RateKey: Double] = [:]
        var rateOrder: [RateKey] = []
        for value in values {
            switch value.feeds {
            case .value(let check)?:
                measurements.append(Measurement(check, value.value, subject: value.subject, detail: value.detail))
            case .ratePerMinute(let check, let subject)?:
                let key = RateKey(check: check, subject: subject)
                if totals[key] == nil { rateOrder.append(key) }
                totals[key, default: 0] += value.value
            case nil:
                break
            }
        }
        for key in rateOrder {
            var window = rates[key] ?? RateWindow(span: rateWindow)
            if let rate = window.add(totals[key] ?? 0, at: now) { measurements.append(Measurement(key.check, rate, subject: key.subject)) }
            rates[key] = window
        }
        return EngineReading(at: now, values: values, measurements: measurements)
    }
}

/// CPU seconds per second of the engine's tree between its two latest distinct resource samples.
struct CPURate: Sendable {
    private var previous: (seconds: Double, at: Double)?
    private var latest: (seconds: Double, at: Double)?

    mutating func ratio(_ sample: ResourceSample) -> Double? {
        if latest?.at != sample.sampledAt {
            previous = latest
            latest = (sample.cpuSeconds, sample.sampledAt)
        }
        // A tree whose CPU time went down is a new process: no rate until two samples of it.
        guard let previous, let latest, latest.at > previous.at, latest.seconds >= previous.seconds else { return nil }
        return (latest.seconds - previous.seconds) / (latest.at - previous.at)
    }
}

/// The per-minute rate of a counter over the last `span` seconds. Contention and warnings come in bursts: one
/// look's worth is mostly zeros, so the rate spans several. nil until the points cover half the span (one match
/// in the first look would otherwise read as a burst), and after the counter went backwards (the engine's
/// history was reset).
struct RateWindow: Sendable {
    let span: Double
    private var points: [(total: Double, at: Double)] = []
    /// Enough for a look every second over a few minutes; older points go first.
    private static let kept = 256

    init(span: Double) { self.span = span }

    mutating func add(_ total: Double, at now: Double) -> Double? {
        if let last = points.last, total < last.total || now < last.at { points = [] }
        points.append((total, now))
        // Keep the newest point at or before the window's start, so the rate covers the whole span.
        while points.count > 1, points[1].at <= now - span { points.removeFirst() }
        if points.count > Self.kept { points.removeFirst(points.count - Self.kept) }
        guard let oldest = points.first, now - oldest.at >= span / 2, now > oldest.at else { return nil }
        return (total - oldest.total) / (now - oldest.at) * 60
    }
}
