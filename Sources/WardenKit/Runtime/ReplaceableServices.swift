import Logging
import ServiceLifecycle
import Synchronization

/// Services that a reload replaces as a set. The running set is shut down gracefully, so that what it has
/// under way finishes (a probe run publishes its outcome, a judge leaves its memory for its successor), and
/// only then does the next set start. Warden's own graceful shutdown reaches the running set as if its
/// services were listed in the main group. Each service may end early (nothing to probe): that ends nothing else.
final class ReplaceableServices: Service, Sendable {
    private struct State {
        var services: [any Service]
        var group: ServiceGroup?
        /// The set waiting to replace the running one, and who waits for it to start.
        var next: (services: [any Service], started: CheckedContinuation<Void, Never>)?
        /// `run()` has returned: nothing starts any more.
        var over = false
    }

    private let state: Mutex<State>
    private let logger: Logger

    init(_ services: [any Service], logger: Logger) {
        state = Mutex(State(services: services))
        self.logger = logger
    }

    func run() async throws {
        defer {
            state.withLock { state in
                state.over = true
                state.group = nil
                state.next?.started.resume()
                state.next = nil
            }
        }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let (group, started) = state.withLock { state in
                let group = ServiceGroup(configuration: .init(
                    services: state.services.map { .init(service: $0, successTerminationBehavior: .ignore) }, logger: logger))
                state.group = group
                defer { state.next = nil }
                return (group, state.next?.started)
            }
            started?.resume()
            try await group.run()
            let replaced = state.withLock { state in
                state.group = nil
                guard let next = state.next else { return false }
                state.services = next.services
                return true
            }
            guard replaced else { return }
        }
    }

    /// Shuts the running set down gracefully and starts `services`; returns once they run (or Warden is shutting
    /// down and they never will).
    func replace(with services: [any Service]) async {
        await withCheckedContinuation { started in
            let running: ServiceGroup? = state.withLock { state in
                if state.over {
                    started.resume()
                    return nil
                }
                // A replacement still waiting is itself replaced: its caller is told now.
                state.next?.started.resume()
                state.next = nil
                guard let group = state.group else {
                    state.services = services
                    started.resume()
                    return nil
                }
                state.next = (services, started)
                return group
            }
            if let running { Task { await running.triggerGracefulShutdown() } }
        }
    }
}
