/// Every default of the config in one place. README's configuration reference mirrors this file.
public enum Defaults {
    public static let listenHost = "127.0.0.1"
    public static let listenPort = 9780
    public static let stateDirectory = "/var/lib/warden"

    /// Seed 001's guardian: give the engine 10 s to stop before it is killed.
    public static let stopSignal = "SIGTERM"
    public static let gracePeriod: Duration = .seconds(10)

    public static let restartMode = RestartMode.always
    public static let initialBackoff: Duration = .seconds(1)
    public static let backoffMultiplier = 2.0
    public static let maxBackoff: Duration = .seconds(300)      // seed 003: reconnect backoff 1 s to 300 s
    public static let backoffJitter = 0.1
    public static let resetBackoffAfter: Duration = .seconds(600)
    /// Seed 001: at most 10 restarts, counted per hour, then stop and call a human.
    public static let restartBudget = 10
    public static let restartBudgetWindow: Duration = .seconds(3600)

    /// Seed 001: rotating log, 10 MB × 5 files.
    public static let logMaxBytes: Int64 = 10_000_000
    public static let logMaxFiles = 5

    public static let samplingInterval: Duration = .seconds(5)
}
