import ServiceLifecycle

/// Every engine supervisor as one `Service`.
///
/// ServiceGroup shuts its services down one after another, waiting for each. Engines must stop together, so
/// that Warden's shutdown takes the longest grace period rather than their sum (which would outlast
/// systemd's `TimeoutStopSec` and end in SIGKILL). Graceful shutdown reaches each supervisor here at once,
/// because child tasks inherit the shutdown context.
struct EngineFleet: Service {
    let supervisors: [EngineSupervisor]

    func run() async {
        await withDiscardingTaskGroup { group in
            for supervisor in supervisors {
                group.addTask { await supervisor.run() }
            }
        }
    }
}
