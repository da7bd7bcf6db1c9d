/// Everything Warden has observed of one engine, as the checks read it.
public struct EngineObservations: Sendable {
    public var probes: [String: ProbeOutcome] = [:]
    public var logs = LogRuleState()
    /// Connections of the engine's tree per configured endpoint, from the resource sampler.
    public var connections: [String: Int] = [:]
    /// When the current engine process started: the reference for "no decision yet in this run".
    public var engineStartedAt: Double?

    public init() {}

    /// The output of a probe's last run, if that run succeeded.
    func output(of probe: String) -> ProbeOutput? {
        guard let outcome = probes[probe], outcome.success else { return nil }
        return outcome.output
    }

    func json(_ probe: String) -> JSONValue? {
        if case .json(let document) = output(of: probe) { return document }
        return nil
    }

    func rows(_ probe: String, _ query: String) -> SQLRows? {
        if case .sql(let results) = output(of: probe) { return results[query] }
        return nil
    }
}

/// What a check's value feeds in health: the check it is judged as, or the per-minute rate of its counter
/// (values of one rate check and subject add up, then the reading takes their rate over its window: lock
/// contention's outcomes make one rate; each `rates:` entry, named by its subject, its own).
public enum Feed: Sendable, Equatable {
    case value(HealthCheck)
    case ratePerMinute(HealthCheck, subject: String? = nil)

    public var check: HealthCheck {
        switch self {
        case .value(let check), .ratePerMinute(let check, _): check
        }
    }
}

/// One number a check read: the metric family it is shown as (the `engine` label is added when rendering) and
/// what it feeds in health. Either may be absent: a connection limit is shown and not judged; the headroom below
/// it is judged and not shown.
public struct CheckValue: Sendable, Equatable {
    public var metric: MetricFamily?
    public var labels: [String]
    public var value: Double
    public var feeds: Feed?
    /// What was read, in words, when the number alone does not say it (a state's text).
    public var detail: String?

    public init(_ metric: MetricFamily?, _ labels: [String], _ value: Double, feeds: Feed? = nil, detail: String? = nil) {
        self.metric = metric
        self.labels = labels
        self.value = value
        self.feeds = feeds
        self.detail = detail
    }

    public init(_ metric: MetricFamily?, _ value: Double, feeds: Feed? = nil) {
        self.init(metric, [], value, feeds: feeds)
    }

    /// A value judged as `check` and shown nowhere else.
    public static func judged(_ check: HealthCheck, _ value: Double, subject: String? = nil) -> CheckValue {
        CheckValue(nil, subject.map { [$0] } ?? [], value, feeds: .value(check))
    }

    /// Which stream, endpoint or outcome the value is of: its first label.
    public var subject: String? { labels.first }
}

/// A query a check needs run, and the SQLite probe that runs it.
public struct ProbeQuery: Sendable, Equatable {
    public var probe: String
    public var query: SQLQuery

    public init(probe: String, query: SQLQuery) {
        self.probe = probe
        self.query = query
    }
}

/// The shape every check shares: the queries it needs run (each on its own SQLite probe), the health checks its
/// values feed, and a pure function from observations to values. A check whose inputs are missing produces no
/// value: no data, never a false zero.
public protocol Check: Sendable {
    /// Every health check its values may feed; their components are the ones this check makes judged.
    var feeds: [HealthCheck] { get }
    var queries: [ProbeQuery] { get }
    func values(_ observations: EngineObservations, now: Double) -> [CheckValue]
}

extension Check {
    public var queries: [ProbeQuery] { [] }
}

/// Where a check reads one value: a JSON pointer into an HTTP probe's body, a SQL query on a database probe,
/// or a log rule.
public enum ValueSource: Sendable, Equatable {
    case json(probe: String, pointer: JSONPointer)
    case sql(probe: String, query: String)
    case logHeartbeat(rule: String)
    case logCounter(rule: String)

    /// The query this source needs run, under the name `queryName`.
    func query(named queryName: String) -> ProbeQuery? {
        if case .sql(let probe, let sql) = self { return ProbeQuery(probe: probe, query: SQLQuery(name: queryName, sql: sql)) }
        return nil
    }

    /// The value as text: a JSON string (a number or boolean as written), or the first column of the first row.
    func text(_ observations: EngineObservations, queryName: String) -> String? {
        switch self {
        case .json(let probe, let pointer): observations.json(probe).flatMap { pointer.resolve(in: $0) }?.text
        case .sql(let probe, _): observations.rows(probe, queryName)?.first?.first?.text
        case .logHeartbeat, .logCounter: nil
        }
    }

    /// The value as a number (the first column of the first row for SQL).
    func number(_ observations: EngineObservations, queryName: String) -> Double? {
        switch self {
        case .json(let probe, let pointer):
            return observations.json(probe).flatMap { pointer.resolve(in: $0) }?.number
        case .sql(let probe, _):
            return observations.rows(probe, queryName)?.first?.first?.number
        case .logHeartbeat(let rule):
            return observations.logs.lastMatch[rule]
        case .logCounter(let rule):
            return observations.logs.counts[rule]
        }
    }

    /// The value as a unix time, whatever form the engine keeps it in.
    func time(_ observations: EngineObservations, queryName: String, parser: TimestampParser) -> Double? {
        switch self {
        case .json(let probe, let pointer):
            return observations.json(probe).flatMap { pointer.resolve(in: $0) }.flatMap(parser.parse)
        case .sql(let probe, _):
            return observations.rows(probe, queryName)?.first?.first.flatMap(parser.parse)
        case .logHeartbeat, .logCounter:
            return number(observations, queryName: queryName)
        }
    }
}
