/// Lost monitors and positions without stops (docs/incidents.md): open positions against monitored ones,
/// positions past their planned close, positions without an active stop-loss or take-profit. Aggregated in SQL: the database returns counts, not rows.
public struct PositionsCheck: Check {
    /// Only the parts that are on.
    public var feeds: [HealthCheck] {
        [openQuery.map { _ in .monitorMismatch }, overdueQuery.map { _ in .overduePositions },
         unprotectedQuery.map { _ in .unprotectedPositions }].compactMap { $0 }
    }

    public static let defaultOpenQuery = "SELECT COUNT(*) FROM futures_positions WHERE status = 'open'"
    /// Count and age of the oldest; `:grace` is the configured grace period in seconds.
    public static let defaultOverdueQuery = """
        SELECT COUNT(*), COALESCE(MAX(:now - warden_unixtime(planned_close_time)), 0) FROM futures_positions \
        WHERE status = 'open' AND warden_unixtime(planned_close_time) < :now - :grace
        """
    /// The reference schema's `position_stops` has no position id: a stop protects the open positions of its symbol.
    /// `NOT IN` rather than a correlated `NOT EXISTS`: SQLite builds one temporary index for it, so the cost
    /// stays linear on an engine database without an index on `position_stops(symbol)`, where `NOT EXISTS`
    /// goes quadratic (measured: 284 s at 100,000 positions). `ORDER BY` fills that index in key order, which
    /// SQLite does faster than in table order (benchmarks/RESULTS.md: about 13% of the query at 100,000).
    public static let defaultUnprotectedQuery = """
        SELECT COUNT(*) FROM futures_positions WHERE status = 'open' AND symbol NOT IN (\
        SELECT symbol FROM position_stops WHERE status = 'active' AND symbol IS NOT NULL \
        AND (stop_loss IS NOT NULL OR take_profit IS NOT NULL) ORDER BY symbol)
        """

    public var database: String?
    /// None: a part left out.
    public var openQuery: String?
    public var monitored: ValueSource?
    public var overdueQuery: String?
    public var overdueGrace: Duration
    public var unprotectedQuery: String?

    public init(database: String, openQuery: String? = defaultOpenQuery, monitored: ValueSource?,
                overdueQuery: String? = defaultOverdueQuery, overdueGrace: Duration = .seconds(60),
                unprotectedQuery: String? = defaultUnprotectedQuery) {
        self.database = database
        self.openQuery = openQuery
        self.monitored = monitored
        self.overdueQuery = overdueQuery
        self.overdueGrace = overdueGrace
        self.unprotectedQuery = unprotectedQuery
    }

    public var queries: [ProbeQuery] {
        guard let database else { return [] }
        var queries: [SQLQuery] = []
        if let openQuery { queries.append(SQLQuery(name: "positions.open", sql: openQuery)) }
        if let overdueQuery {
            queries.append(SQLQuery(name: "positions.overdue", sql: overdueQuery, parameters: ["grace": overdueGrace.seconds]))
        }
        if let unprotectedQuery { queries.append(SQLQuery(name: "positions.unprotected", sql: unprotectedQuery)) }
        return queries.map { ProbeQuery(probe: database, query: $0) }
            + [monitored?.query(named: "positions.monitored")].compactMap { $0 }
    }

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        guard let database else { return [] }
        var values: [CheckValue] = []
        let open = observations.rows(database, "positions.open")?.first?.first?.number
        let monitored = monitored?.number(observations, queryName: "positions.monitored")
        if let open { values.append(CheckValue(Catalog.openPositions, open)) }
        if let monitored { values.append(CheckValue(Catalog.monitoredPositions, monitored)) }
        if let open, let monitored { values.append(CheckValue(Catalog.monitorMismatch, abs(open - monitored), feeds: .value(.monitorMismatch))) }
        if let overdue = observations.rows(database, "positions.overdue")?.first, overdue.count >= 2,
           let count = overdue[0].number {
            values.append(CheckValue(Catalog.overduePositions, count, feeds: .value(.overduePositions)))
            values.append(CheckValue(Catalog.overdueMaxAge, count > 0 ? max(0, overdue[1].number ?? 0) : 0))
        }
        if let unprotected = observations.rows(database, "positions.unprotected")?.first?.first?.number {
            values.append(CheckValue(Catalog.unprotectedPositions, unprotected, feeds: .value(.unprotectedPositions)))
        }
        return values
    }
}
