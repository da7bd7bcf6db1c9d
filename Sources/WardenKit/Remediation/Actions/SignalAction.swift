import Foundation

/// Sends a signal to the engine's main process (SIGHUP to reload, SIGUSR1 to dump state).
public struct SignalAction: RemediationAction {
    public var signal: Signal

    public init(signal: Signal) { self.signal = signal }

    public var kind: String { "signal" }
    public var summary: String { "send \(signal.name)" }

    public func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome {
        guard let pid = context.engine?.pid, case .running = context.engine?.state else {
            return ActionOutcome(.skipped, "the engine is not running")
        }
        guard kill(pid, signal.number) == 0 else {
            return ActionOutcome(.failure, "kill(\(pid), \(signal.name)): \(String(cString: strerror(errno)))")
        }
        return ActionOutcome(.success, "sent \(signal.name) to pid \(pid)")
    }
}
