/// A counter whose pace is the trouble (docs/checks-and-health.md): exchange warnings, retries, rejected orders.
/// The count is shown as it is; health judges its rate per minute against the entry's own bounds.
public struct CounterRateCheck: Check {
    public var feeds: [HealthCheck] { [.counterRate] }

    public var name: String
    public var count: ValueSource

    public init(name: String, count: ValueSource) {
        self.name = name
        self.count = count
    }

    private var queryName: String { "rates.\(name)" }

    public var queries: [ProbeQuery] { [count.query(named: queryName)].compactMap { $0 } }

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        guard let total = count.number(observations, queryName: queryName) else { return [] }
        return [CheckValue(Catalog.rateEvents, [name], total, feeds: .ratePerMinute(.counterRate, subject: name))]
    }
}
