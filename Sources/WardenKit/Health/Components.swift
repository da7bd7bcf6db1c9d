/// Which health component every input belongs to, in one place: the checks' values by the health check they
/// feed, probes by their kind. The evaluator and the config's cross-checks ask here.
extension HealthCheck {
    /// The component it belongs to; a missing input belongs to whichever component reads it.
    public var component: HealthComponent? {
        switch self {
        case .memoryRatio, .memoryBytes, .cpuRatio, .threads: .resources
        // The exchange's and broker's answers, as the engine's warnings count them, are its outside APIs.
        case .apiLatency, .apiFailures, .counterRate: .api
        case .websocketLag: .websocket
        // A bot that is stopped or paused decides nothing: the same question, "is it trading?".
        case .decisionAge, .heartbeatAge, .engineState: .decisions
        case .monitorMismatch, .overduePositions, .unprotectedPositions: .positions
        case .staleLocks, .lockContention: .locks
        case .pnlDeviation: .pnl
        case .connectionHeadroom: .connections
        case .processState: .process
        case .inputMissing, .remediationExhausted: nil
        }
    }
}

extension ProbeConfig.Kind {
    /// HTTP probes and pushed reports → api, SQLite → database, heartbeat files → decisions.
    public var component: HealthComponent {
        switch self {
        case .http, .pushed: .api
        case .sqlite: .database
        case .heartbeatFile: .decisions
        }
    }
}

extension WatchConfig {
    /// Components with at least one configured input: the process and its resources always, then those of the
    /// probes and the checks. The others are not judged at all.
    public var judgedComponents: Set<HealthComponent> {
        Set([.process, .resources] + probes.map(\.kind.component) + checks.flatMap(\.feeds).compactMap(\.component))
    }
}
