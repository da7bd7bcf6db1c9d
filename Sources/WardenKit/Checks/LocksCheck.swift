/// Two loops fighting over one lock (docs/incidents.md): lock rows held now, held past their expiry and for how
/// long; contention outcomes.
public struct LocksCheck: Check {
    /// Stale locks only while lock rows are read.
    public var feeds: [HealthCheck] { (database != nil && query != nil ? [.staleLocks] : []) + [.lockContention] }

    public static let defaultQuery = """
        SELECT COUNT(*), COALESCE(SUM(warden_unixtime(expires_at) < :now), 0), \
        COALESCE(MAX(:now - warden_unixtime(updated_at)), 0) FROM system_config WHERE config_key LIKE 'partial_tp_%'
        """
    /// Rows of (outcome, count); outcomes `lock_busy` and `recently_executed` as the reference engine writes them.
    public static let defaultContentionQuery = """
        SELECT result, COUNT(*) FROM partial_take_profit_history \
        WHERE result IN ('lock_busy', 'recently_executed') GROUP BY result
        """

    public var database: String?
    /// None: lock rows are not read.
    public var query: String?
    public var contentionQuery: String?
    /// Counts of contention outcomes from elsewhere (log counters, report fields), by result label; added to
    /// the history table's.
    public var contentionSources: [String: ValueSource]

    public init(database: String?, query: String? = defaultQuery, contentionQuery: String? = defaultContentionQuery,
                contentionSources: [String: ValueSource] = [:]) {
        self.database = database
        self.query = query
        self.contentionQuery = contentionQuery
        self.contentionSources = contentionSources
    }

    public var queries: [ProbeQuery] {
        var queries: [ProbeQuery] = []
        if let database {
            if let query { queries.append(ProbeQuery(probe: database, query: SQLQuery(name: "locks.held", sql: query))) }
            if let contentionQuery {
                queries.append(ProbeQuery(probe: database, query: SQLQuery(name: "locks.contention", sql: contentionQuery)))
            }
        }
        return queries + contentionSources.sorted { $0.key < $1.key }.compactMap { $0.value.query(named: "locks.\($0.key)") }
    }

    /// `lock_busy` is exposed as `busy`, the shorter label the dashboard and alert rules use.
    static func resultLabel(_ outcome: String) -> String {
        outcome == "lock_busy" ? "busy" : outcome
    }

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        var values: [CheckValue] = []
        if let database, let row = observations.rows(database, "locks.held")?.first, row.count >= 3,
           let held = row[0].number {
            values.append(CheckValue(Catalog.locksHeld, held))
            values.append(CheckValue(Catalog.locksStale, row[1].number ?? 0, feeds: .value(.staleLocks)))
            values.append(CheckValue(Catalog.lockMaxHold, held > 0 ? max(0, row[2].number ?? 0) : 0))
        }
        var contention: [String: Double] = [:]
        if let database, contentionQuery != nil, let rows = observations.rows(database, "locks.contention") {
            // Both outcomes exist from the first successful read, so rate() sees them start at 0.
            contention = ["busy": 0, "recently_executed": 0]
            for row in rows where row.count >= 2 {
                if case .text(let outcome) = row[0] { contention[Self.resultLabel(outcome), default: 0] += row[1].number ?? 0 }
            }
        }
        for (result, source) in contentionSources {
            if let count = source.number(observations, queryName: "locks.\(result)") { contention[result, default: 0] += count }
        }
        for (result, count) in contention.sorted(by: { $0.key < $1.key }) {
            values.append(CheckValue(Catalog.lockContention, [result], count, feeds: .ratePerMinute(.lockContention)))
        }
        return values
    }
}
