/// The four health levels, ordered: a component, an engine and Warden each have one.
public enum HealthLevel: Int, Sendable, Comparable, CaseIterable, Codable {
    /// Everything works.
    case healthy = 0
    /// Partly degraded but usable: worth a look, not an action.
    case degraded = 1
    /// A serious problem: what remediation policies usually act on.
    case unhealthy = 2
    /// An emergency, or Warden has done what it can: a person is needed.
    case critical = 3

    public static func < (lhs: HealthLevel, rhs: HealthLevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// HEALTHY, DEGRADED, UNHEALTHY, CRITICAL: the words of the status API, logs and alerts.
    public var name: String {
        switch self {
        case .healthy: "HEALTHY"
        case .degraded: "DEGRADED"
        case .unhealthy: "UNHEALTHY"
        case .critical: "CRITICAL"
        }
    }

    /// Accepts the name in any case, as configs spell it.
    public init?(name: String) {
        guard let level = Self.allCases.first(where: { $0.name == name.uppercased() }) else { return nil }
        self = level
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let level = HealthLevel(name: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown level \(text)"))
        }
        self = level
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// What Warden judges, one state machine each (docs/checks-and-health.md).
public enum HealthComponent: String, Sendable, CaseIterable, Codable, Comparable {
    case process, resources, api, database, websocket, decisions, positions, locks, pnl, connections

    /// Declaration order, as every list of components shows them.
    public static func < (lhs: HealthComponent, rhs: HealthComponent) -> Bool {
        lhs.rank < rhs.rank
    }

    private var rank: Int {
        switch self {
        case .process: 0
        case .resources: 1
        case .api: 2
        case .database: 3
        case .websocket: 4
        case .decisions: 5
        case .positions: 6
        case .locks: 7
        case .pnl: 8
        case .connections: 9
        }
    }
}
