import Logging
import ServiceLifecycle
import UnixSignals

/// Signals whose default would end Warden, and with it, through the orphan guard, every engine mid-order:
/// SIGHUP (a closed terminal or SSH session, `systemctl reload`, the Prometheus habit of reloading on it), SIGUSR1
/// and SIGUSR2. They are caught for as long as Warden runs, said in the log, and never stop anything. SIGTERM
/// and SIGINT stop Warden gracefully (the service group's own signals); SIGQUIT keeps its default, a core dump,
/// for a person who asks for one.
public struct SignalHandler: Service {
    let logger: Logger
    /// What SIGHUP does.
    let hangUp: @Sendable () async -> Void

    public init(logger: Logger, hangUp: @escaping @Sendable () async -> Void) {
        self.logger = logger
        self.hangUp = hangUp
    }

    public func run() async {
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1, .sigusr2)
        for await signal in signals.cancelOnGracefulShutdown() {
            if signal == .sighup {
                await hangUp()
            } else {
                logger.notice("\(signal) received and ignored: Warden and its engines keep running")
            }
        }
    }
}
