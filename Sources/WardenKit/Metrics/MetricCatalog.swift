/// A metric family as exposed on `/metrics`.
public struct MetricFamily: Sendable, Hashable {
    public enum Kind: String, Sendable { case gauge, counter, histogram }

    public let name: String
    public let kind: Kind
    public let help: String
    public let labels: [String]
}

/// Every metric Warden exposes, in one place (DESIGN.md §4). A test checks that README's metric reference
/// names each of them.
public enum Catalog {
    // MARK: Warden itself
    public static let buildInfo = MetricFamily(name: "warden_build_info", kind: .gauge,
        help: "Always 1; the version label says which Warden is running.", labels: ["version"])
    public static let storeWriteFailures = MetricFamily(name: "warden_store_write_failures_total", kind: .counter,
        help: "Writes to Warden's own database that failed (full disk, read-only filesystem).", labels: [])

    // MARK: Supervision
    public static let engineUp = MetricFamily(name: "warden_engine_up", kind: .gauge,
        help: "1 while the engine process runs, else 0.", labels: ["engine"])
    public static let engineRestarts = MetricFamily(name: "warden_engine_restarts_total", kind: .counter,
        help: "Engine restarts by reason: exit, signal, health, remediation, manual, schedule.", labels: ["engine", "reason"])
    public static let engineStartTime = MetricFamily(name: "warden_engine_start_time_seconds", kind: .gauge,
        help: "Unix time at which the current engine process started; 0 when it is not running.", labels: ["engine"])
    public static let engineBackoff = MetricFamily(name: "warden_engine_restart_backoff_seconds", kind: .gauge,
        help: "Seconds until the next start attempt; 0 when the engine is running.", labels: ["engine"])
    public static let engineBudgetRemaining = MetricFamily(name: "warden_engine_restart_budget_remaining", kind: .gauge,
        help: "Automatic restarts left in the current budget window.", labels: ["engine"])
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

    /// Every family, in exposition order.
    public static let all: [MetricFamily] = [
        buildInfo, storeWriteFailures,
        engineUp, engineRestarts, engineStartTime, engineBackoff, engineBudgetRemaining, engineGaveUp,
        engineCPU, engineRSS, engineMemoryRatio, engineThreads, engineOpenFDs, engineProcesses,
        processCPU, processRSS, processVirtual, processStart, processOpenFDs, processMaxFDs, processThreads,
    ]
}
