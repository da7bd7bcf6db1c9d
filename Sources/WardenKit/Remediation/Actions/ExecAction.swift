import Foundation
import Synchronization

/// Runs a program (argv, never a shell string) with the incident in `WARDEN_*` environment variables, in its
/// own process group, killed as a group at its timeout; stdout and stderr are captured for the audit.
public struct ExecAction: RemediationAction {
    public var command: [String]
    public var executable: String
    public var workingDirectory: String
    public var timeout: Duration
    static let maxOutputBytes = 64 * 1024

    public init(command: [String], executable: String, workingDirectory: String, timeout: Duration) {
        self.command = command
        self.executable = executable
        self.workingDirectory = workingDirectory
        self.timeout = timeout
    }

    public var kind: String { "exec" }
    /// The program only: arguments may carry a token.
    public var summary: String { "run " + ((command.first ?? "") as NSString).lastPathComponent }

    public func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome {
        // Killed with Warden, like the engines: a SIGKILLed Warden leaves no helper running.
        await run(environment: context.environment.merging(incident.environment) { $1 }, orphanGuard: context.orphanGuard)
    }

    /// Runs the program to its end or its timeout: success is exit status 0.
    func run(environment: [String: String], orphanGuard: OrphanGuard?) async -> ActionOutcome {
        let process: SpawnedProcess
        do {
            process = try ProcessSpawner.spawn(executable: executable, arguments: command, environment: environment,
                                               workingDirectory: workingDirectory, guardedBy: orphanGuard)
        } catch {
            return ActionOutcome(.failure, "cannot run \(executable): \(error)")
        }
        let output = CapturedOutput(limit: Self.maxOutputBytes)
        output.read(process.stdout)
        output.read(process.stderr)
        let (status, timedOut) = await withCheckedContinuation { continuation in
            ChildWaiter.watch(pid: process.pid) { status in
                // Marked done before anyone learns of the exit, so a timeout racing it cannot claim a kill.
                let timedOut = output.finish()
                // Whatever the helper left in its group (a backgrounded child holding the pipes) goes with it.
                kill(-process.pid, SIGKILL)
                orphanGuard?.unregister(pgid: process.pid)
                continuation.resume(returning: (status, timedOut))
            }
            let timeout = self.timeout
            let deadline = Task {
                try? await Task.sleep(for: timeout)
                if output.markTimedOut() { kill(-process.pid, SIGKILL) }
            }
            output.onFinish { deadline.cancel() }
        }
        let text = await output.text()
        if timedOut {
            return ActionOutcome(.failure, "timed out after \(Units.formatDuration(timeout)); killed", output: text)
        }
        let success = status == .exited(code: 0)
        return ActionOutcome(success ? .success : .failure, status.description, output: text)
    }
}

/// stdout and stderr of a helper, interleaved as they come and capped; reading ends at EOF of both.
final class CapturedOutput: Sendable {
    private struct State {
        var data = Data()
        var truncated = false
        var open = 0
        var timedOut = false
        var done = false
        var onFinish: (@Sendable () -> Void)?
    }

    private let limit: Int
    private let state = Mutex(State())

    init(limit: Int) { self.limit = limit }

    func read(_ fd: Int32) {
        state.withLock { $0.open += 1 }
        let thread = Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 8192)
            while true {
                let count = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                state.withLock { state in
                    let room = limit - state.data.count
                    if room > 0 { state.data.append(contentsOf: buffer.prefix(min(room, count))) }
                    if count > room { state.truncated = true }
                }
            }
            close(fd)
            state.withLock { $0.open -= 1 }
        }
        thread.start()
    }

    /// True when the process had not exited yet: the caller kills it.
    func markTimedOut() -> Bool {
        state.withLock { state in
            guard !state.done else { return false }
            state.timedOut = true
            return true
        }
    }

    /// Marks the process as exited; true when the timeout had killed it.
    func finish() -> Bool {
        let (timedOut, then) = state.withLock { state in
            state.done = true
            return (state.timedOut, state.onFinish)
        }
        then?()
        return timedOut
    }

    /// Runs once the process has exited (cancels the deadline); at once if it already has.
    func onFinish(_ body: @escaping @Sendable () -> Void) {
        let done = state.withLock { state -> Bool in
            if !state.done { state.onFinish = body }
            return state.done
        }
        if done { body() }
    }

    /// The output once both pipes are closed, or after 2 s (a grandchild may hold them open).
    func text() async -> String {
        for _ in 0..<200 where state.withLock({ $0.open > 0 }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return state.withLock { state in
            String(decoding: state.data, as: UTF8.self) + (state.truncated ? "\n[output truncated at \(limit) bytes]" : "")
        }
    }
}
