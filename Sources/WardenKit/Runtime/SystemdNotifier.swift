import CWardenSys
import Foundation
import Logging
import ServiceLifecycle

/// systemd's notify protocol, spoken when Warden runs as a `Type=notify` service: `READY=1` once every engine
/// has had its first start (what `/readyz` says), `WATCHDOG=1` every half `WatchdogSec` while every loop of
/// `Liveness` turns, and `STOPPING=1` when Warden begins to stop. Read from `NOTIFY_SOCKET` and `WATCHDOG_USEC`
/// as systemd sets them; without `NOTIFY_SOCKET` the service ends at once and Warden runs as before.
public struct SystemdNotifier: Service {
    let socket: String?
    /// Half systemd's watchdog interval: systemd's own advice, so that one late ping is no restart.
    let pingEvery: Duration?
    let ready: @Sendable () -> Bool
    let liveness: Liveness
    let logger: Logger

    public init(environment: [String: String], liveness: Liveness, logger: Logger, ready: @escaping @Sendable () -> Bool) {
        socket = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        pingEvery = environment["WATCHDOG_USEC"].flatMap(Int64.init).flatMap { $0 > 0 ? .microseconds($0 / 2) : nil }
        self.ready = ready
        self.liveness = liveness
        self.logger = logger
    }

    public func run() async {
        guard let socket else { return }
        await withGracefulShutdownHandler {
            var toldReady = false
            var stalledBefore: [String] = []
            // Until ready, look often: READY=1 should follow readiness closely.
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                if !toldReady, ready() {
                    toldReady = send("READY=1", to: socket)
                }
                if pingEvery != nil, toldReady {
                    let stalled = liveness.stalled()
                    if stalled.isEmpty {
                        _ = send("WATCHDOG=1", to: socket)
                    } else if stalled != stalledBefore {
                        logger.critical("loops stopped turning; Warden no longer pings systemd's watchdog",
                                        metadata: ["loops": "\(stalled.joined(separator: ", "))"])
                    }
                    stalledBefore = stalled
                    liveness.nudgeAll()
                }
                // Once ready without a watchdog there is nothing left to say until STOPPING=1.
                let pause: Duration = toldReady ? (pingEvery ?? .seconds(3600)) : .milliseconds(100)
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
            }
        } onGracefulShutdown: {
            _ = send("STOPPING=1", to: socket)
        }
    }

    private func send(_ state: String, to socket: String) -> Bool {
        let error = warden_notify(socket, state)
        if error != 0 {
            logger.warning("cannot notify systemd", metadata: ["socket": "\(socket)", "state": "\(state)",
                                                            "error": "\(String(cString: strerror(error)))"])
        }
        return error == 0
    }
}
