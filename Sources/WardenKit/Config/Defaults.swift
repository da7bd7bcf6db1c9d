/// Every default of the config in one place. docs/configuration.md states each of them, and a test compares.
public enum Defaults {
    public static let listenHost = "127.0.0.1"
    public static let listenPort = 9780
    public static let stateDirectory = "/var/lib/warden"

    /// After the stop signal the engine has 10 s to exit on its own before its group is killed.
    public static let stopSignal = "SIGTERM"
    public static let gracePeriod: Duration = .seconds(10)

    public static let restartMode = RestartMode.always
    public static let initialBackoff: Duration = .seconds(1)
    public static let backoffMultiplier = 2.0
    public static let maxBackoff: Duration = .seconds(300)      // a failing engine is retried every 5 min
    public static let backoffJitter = 0.1
    public static let resetBackoffAfter: Duration = .seconds(600)
    /// At most 10 restarts, counted per hour, then stop and call a human: restarting more hides a fault that
    /// a restart does not fix.
    public static let restartBudget = 10
    public static let restartBudgetWindow: Duration = .seconds(3600)

    /// The engine's captured output rotates at 10 MB and keeps 5 files: 50 MB of history at most.
    public static let logMaxBytes: Int64 = 10_000_000
    public static let logMaxFiles = 5

    public static let samplingInterval: Duration = .seconds(5)
}
