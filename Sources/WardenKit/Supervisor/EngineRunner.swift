import ServiceLifecycle

/// One engine as the fleet, remediation and the HTTP API act on it: a child Warden starts and supervises
/// (`EngineSupervisor`), or a process another supervisor runs that Warden finds and watches (`AttachedEngine`).
public protocol EngineRunner: Service, AnyObject, Sendable {
    var name: String { get }
    /// Every line the engine prints, for its log rules.
    var logLines: LogLineBroadcast { get }
    /// The engine's settings as last loaded.
    var config: EngineConfig { get }
    /// Takes a reloaded config; `relaunch`: how the engine runs changed.
    func reconfigure(_ config: EngineConfig, extraEnvironment: [String: String], relaunch: Bool)
    /// The engine left the config: `run()` returns once Warden is done with it.
    func stop()
    /// A graceful restart; its outcome shows on the status board as a new main process.
    func requestRestart(_ reason: RestartReason)
}

extension EngineSupervisor: EngineRunner {}
