/// A metric family as exposed on `/metrics`.
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable { case gauge, counter, histogram }

    public let name: String
    public let kind: Kind
    public let help: String
    public let labels: [String]
}

/// Every metric Warden exposes, in one place. A test checks that docs/metrics.md lists each of them with its
/// type and labels. HELP texts go out with every scrape: they say what a value means, in plain words.
public enum Catalog {
    // MARK: Warden itself
    public static let buildInfo = MetricFamily(name: "warden_build_info", kind: .gauge,
        help: "Always 1; version and revision say which Warden is running, instance_name which Warden this is (its config's instance).",
        labels: ["version", "revision", "instance_name"])
    public static let storeWriteFailures = MetricFamily(name: "warden_store_write_failures_total", kind: .counter,
        help: "Writes to Warden's own database that failed (full disk, read-only filesystem).", labels: [])
    public static let configReloadSuccessful = MetricFamily(name: "warden_config_last_reload_successful", kind: .gauge,
        help: "1 when the last config reload was applied (or none was tried), 0 when the file was refused and the running config stayed.",
        labels: [])
    public static let configReloadSuccessTime = MetricFamily(name: "warden_config_last_reload_success_timestamp_seconds", kind: .gauge,
        help: "Unix time at which the running config was last loaded: Warden's start or the last applied reload.", labels: [])

    // MARK: Supervision
    public static let engineUp = MetricFamily(name: "warden_engine_up", kind: .gauge,
        help: "1 while the engine process runs, else 0.", labels: ["engine"])
    public static let engineRestarts = MetricFamily(name: "warden_engine_restarts_total", kind: .counter,
        help: "Engine restarts by reason: exit, signal, health, remediation, manual, schedule, config (a reload changed how it runs), external (another supervisor started a new main process of an attached engine).", labels: ["engine", "reason"])
    public static let engineStartTime = MetricFamily(name: "warden_engine_start_time_seconds", kind: .gauge,
        help: "Unix time at which the current engine process started; 0 when it is not running.", labels: ["engine"])
    public static let engineBackoff = MetricFamily(name: "warden_engine_restart_backoff_seconds", kind: .gauge,
        help: "Seconds until the next start attempt; 0 when the engine is running.", labels: ["engine"])
    public static let engineBudgetRemaining = MetricFamily(name: "warden_engine_restart_budget_remaining", kind: .gauge,
        help: "Automatic restarts left in the current budget window.", labels: ["engine"])
    public static let engineMaintenance = MetricFamily(name: "warden_engine_maintenance", kind: .gauge,
        help: "1 while a person has the engine in maintenance: observed and exported, but no remediation and no level alerts.",
        labels: ["engine"])
    public static let engineGaveUp = MetricFamily(name: "warden_engine_gave_up", kind: .gauge,
        help: "1 when the restart budget is spent and Warden has stopped restarting the engine: a human is needed.",
        labels: ["engine"])

    // MARK: Resources of the engine's whole process tree
    public static let engineCPU = MetricFamily(name: "warden_engine_cpu_seconds_total", kind: .counter,
        help: "User and system CPU time of the engine's whole process tree.", labels: ["engine"])
    public static let engineRSS = MetricFamily(name: "warden_engine_resident_memory_bytes", kind: .gauge,
        help: "Resident memory of the engine's whole process tree.", labels: ["engine"])
    public static let engineMemoryRatio = MetricFamily(name: "warden_engine_memory_usage_ratio", kind: .gauge,
        help: "Resident memory of the engine's tree over the host's memory, or the cgroup limit when one is set.",
        labels: ["engine"])
    public static let engineThreads = MetricFamily(name: "warden_engine_threads", kind: .gauge,
        help: "Threads in the engine's process tree.", labels: ["engine"])
    public static let engineOpenFDs = MetricFamily(name: "warden_engine_open_fds", kind: .gauge,
        help: "Open file descriptors in the engine's process tree.", labels: ["engine"])
    public static let engineProcesses = MetricFamily(name: "warden_engine_processes", kind: .gauge,
        help: "Processes in the engine's tree: the engine, its descendants and the members of its process group.",
        labels: ["engine"])

    // MARK: Probes
    public static let probeSuccess = MetricFamily(name: "warden_probe_success", kind: .gauge,
        help: "1 when the probe's last run succeeded, else 0.", labels: ["engine", "probe"])
    public static let probeDuration = MetricFamily(name: "warden_probe_duration_seconds", kind: .gauge,
        help: "How long the probe's last run took: API latency for HTTP probes, query time for SQLite probes.",
        labels: ["engine", "probe"])
    public static let heartbeatFileAge = MetricFamily(name: "warden_heartbeat_file_age_seconds", kind: .gauge,
        help: "Seconds since a heartbeat file was last modified, as of the probe's last run.", labels: ["engine", "probe"])
    public static let logRuleMatches = MetricFamily(name: "warden_log_rule_matches_total", kind: .counter,
        help: "Lines matched by each counter log rule since Warden started.", labels: ["engine", "rule"])
    public static let logRuleLastMatch = MetricFamily(name: "warden_log_rule_last_match_timestamp_seconds", kind: .gauge,
        help: "Unix time of the last line matched by each heartbeat log rule.", labels: ["engine", "rule"])

    // MARK: Trading checks
    public static let openPositions = MetricFamily(name: "warden_open_positions", kind: .gauge,
        help: "Open positions according to the engine's database.", labels: ["engine"])
    public static let monitoredPositions = MetricFamily(name: "warden_monitored_positions", kind: .gauge,
        help: "Positions the engine says it is monitoring.", labels: ["engine"])
    public static let monitorMismatch = MetricFamily(name: "warden_monitor_mismatch", kind: .gauge,
        help: "abs(open - monitored) positions: monitoring tasks lost or orphaned.", labels: ["engine"])
    public static let overduePositions = MetricFamily(name: "warden_overdue_positions", kind: .gauge,
        help: "Open positions past their planned close time by more than the grace period.", labels: ["engine"])
    public static let overdueMaxAge = MetricFamily(name: "warden_overdue_max_age_seconds", kind: .gauge,
        help: "How far past its planned close the oldest overdue position is; 0 when none is.", labels: ["engine"])
    public static let unprotectedPositions = MetricFamily(name: "warden_unprotected_positions", kind: .gauge,
        help: "Open positions without an active stop-loss or take-profit.", labels: ["engine"])
    public static let locksHeld = MetricFamily(name: "warden_locks_held", kind: .gauge,
        help: "Lock rows held now.", labels: ["engine"])
    public static let locksStale = MetricFamily(name: "warden_locks_stale", kind: .gauge,
        help: "Lock rows held past their expiry.", labels: ["engine"])
    public static let lockMaxHold = MetricFamily(name: "warden_lock_max_hold_seconds", kind: .gauge,
        help: "How long the oldest lock row has been held; 0 when none is.", labels: ["engine"])
    public static let lockContention = MetricFamily(name: "warden_lock_contention_total", kind: .counter,
        help: "Lock outcomes other than success: busy, recently_executed.", labels: ["engine", "result"])
    public static let pnlDeviation = MetricFamily(name: "warden_pnl_source_deviation_ratio", kind: .gauge,
        help: "Worst relative disagreement between PnL sources over the open positions.", labels: ["engine"])
    public static let pnlSourceUp = MetricFamily(name: "warden_pnl_source_up", kind: .gauge,
        help: "1 when the PnL source delivered values for the open positions.", labels: ["engine", "source"])
    public static let websocketLag = MetricFamily(name: "warden_websocket_lag_seconds", kind: .gauge,
        help: "Seconds since the stream's last message or pong.", labels: ["engine", "stream"])
    public static let websocketReconnects = MetricFamily(name: "warden_websocket_reconnects_total", kind: .counter,
        help: "WebSocket reconnects the engine reports, per stream.", labels: ["engine", "stream"])
    public static let decisionAge = MetricFamily(name: "warden_decision_age_seconds", kind: .gauge,
        help: "Seconds since the engine last decided, or since it started when it has not yet.",
        labels: ["engine"])
    public static let rateEvents = MetricFamily(name: "warden_rate_events_total", kind: .counter,
        help: "The count a rates check judges per minute (matches of a log rule such as exchange warnings, or a count the engine reports).",
        labels: ["engine", "rate"])
    public static let engineStateExpected = MetricFamily(name: "warden_engine_state_expected", kind: .gauge,
        help: "1 while the state the engine reports (running, stopped, paused) is one the states check expects, 0 when it is not.",
        labels: ["engine", "state"])
    public static let engineConnections = MetricFamily(name: "warden_engine_connections", kind: .gauge,
        help: "Open TCP connections of the engine's process tree to a configured endpoint.",
        labels: ["engine", "endpoint"])
    public static let engineConnectionLimit = MetricFamily(name: "warden_engine_connection_limit", kind: .gauge,
        help: "The configured connection limit of the endpoint: the broker refuses connections beyond it.", labels: ["engine", "endpoint"])

    // MARK: Health and remediation
    public static let healthLevel = MetricFamily(name: "warden_health_level", kind: .gauge,
        help: "Each component's judged level after hysteresis: 0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY, 3 CRITICAL.",
        labels: ["engine", "component"])
    public static let engineHealthLevel = MetricFamily(name: "warden_engine_health_level", kind: .gauge,
        help: "The engine's level, its worst component: 0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY, 3 CRITICAL.", labels: ["engine"])
    public static let healthTransitions = MetricFamily(name: "warden_health_transitions_total", kind: .counter,
        help: "Level changes of each component, by the level moved to.", labels: ["engine", "component", "to"])
    public static let remediations = MetricFamily(name: "warden_remediations_total", kind: .counter,
        help: "Remediation actions by kind (restart, signal, http, exec, sql) and result (success, failure, skipped, suppressed, dry_run).",
        labels: ["engine", "action", "result"])

    // MARK: Alerts
    public static let alerts = MetricFamily(name: "warden_alerts_total", kind: .counter,
        help: "Alert deliveries by channel and result: delivered (events), retried (attempts), failed (events moved to the dead letters).",
        labels: ["channel", "result"])
    public static let alertQueueDepth = MetricFamily(name: "warden_alert_queue_depth", kind: .gauge,
        help: "Events waiting in the outbox for the channel.", labels: ["channel"])
    public static let alertDeliveryLatency = MetricFamily(name: "warden_alert_delivery_latency_seconds", kind: .histogram,
        help: "From the event to its acknowledged delivery, per channel.", labels: ["channel"])

    /// The families checks and probes fill, in exposition order.
    public static let observed: [MetricFamily] = [
        probeSuccess, probeDuration, heartbeatFileAge, logRuleMatches, logRuleLastMatch,
        openPositions, monitoredPositions, monitorMismatch, overduePositions, overdueMaxAge, unprotectedPositions,
        locksHeld, locksStale, lockMaxHold, lockContention, pnlDeviation, pnlSourceUp, websocketLag,
        websocketReconnects, decisionAge, rateEvents, engineStateExpected, engineConnections, engineConnectionLimit,
    ]

    // MARK: Standard process metrics of Warden itself
    public static let processCPU = MetricFamily(name: "process_cpu_seconds_total", kind: .counter,
        help: "Total user and system CPU time spent in seconds.", labels: [])
    public static let processRSS = MetricFamily(name: "process_resident_memory_bytes", kind: .gauge,
        help: "Resident memory size in bytes.", labels: [])
    public static let processVirtual = MetricFamily(name: "process_virtual_memory_bytes", kind: .gauge,
        help: "Virtual memory size in bytes.", labels: [])
    public static let processStart = MetricFamily(name: "process_start_time_seconds", kind: .gauge,
        help: "Start time of the process since unix epoch in seconds.", labels: [])
    public static let processOpenFDs = MetricFamily(name: "process_open_fds", kind: .gauge,
        help: "Number of open file descriptors.", labels: [])
    public static let processMaxFDs = MetricFamily(name: "process_max_fds", kind: .gauge,
        help: "Maximum number of open file descriptors.", labels: [])
    public static let processThreads = MetricFamily(name: "process_threads", kind: .gauge,
        help: "Number of OS threads in the process.", labels: [])

    // MARK: The dead-man's switch (`heartbeat:`), present when one is configured
    public static let heartbeatPings = MetricFamily(name: "warden_heartbeat_pings_total", kind: .counter,
        help: "Pings of the dead-man's switch (to its URL or its fail URL) that got a 2xx (ok) or not (failed).",
        labels: ["result"])
    public static let heartbeatLastSuccess = MetricFamily(name: "warden_heartbeat_last_success_timestamp_seconds",
        kind: .gauge, help: "Unix time at which the monitor last took an all-is-well ping; 0 before the first.", labels: [])

    /// Every family, in exposition order.
    public static let all: [MetricFamily] = [
        buildInfo, storeWriteFailures, configReloadSuccessful, configReloadSuccessTime,
        engineUp, engineRestarts, engineStartTime, engineBackoff, engineBudgetRemaining, engineGaveUp, engineMaintenance,
        engineCPU, engineRSS, engineMemoryRatio, engineThreads, engineOpenFDs, engineProcesses,
    ] + observed + [
        healthLevel, engineHealthLevel, healthTransitions, remediations,
        alerts, alertQueueDepth, alertDeliveryLatency, heartbeatPings, heartbeatLastSuccess,
    ] + [
        processCPU, processRSS, processVirtual, processStart, processOpenFDs, processMaxFDs, processThreads,
    ]
}
