import CWardenSys
import Foundation

/// A started engine process: its pid (also its process group id) and the read ends of its output pipes.
struct SpawnedProcess: Sendable {
    let pid: Int32
    let stdout: Int32
    let stderr: Int32
}

struct SpawnError: Error, CustomStringConvertible {
    let description: String
}

/// Starts engines as leaders of their own process group (see `warden_spawn`), stdin from /dev/null.
enum ProcessSpawner {
    static func spawn(executable: String, arguments: [String], environment: [String: String],
                      workingDirectory: String) throws(SpawnError) -> SpawnedProcess {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard warden_pipe(&out) == 0 else { throw SpawnError(description: "pipe: \(Self.errorText(errno))") }
        guard warden_pipe(&err) == 0 else {
            close(out[0]); close(out[1])
            throw SpawnError(description: "pipe: \(Self.errorText(errno))")
        }
        let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
        defer {
            close(out[1]); close(err[1])
            if devNull >= 0 { close(devNull) }
        }

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                warden_spawn(executable, argvBuffer.baseAddress, envpBuffer.baseAddress, workingDirectory,
                             devNull, out[1], err[1], &pid)
            }
        }
        guard result == 0 else {
            close(out[0]); close(err[0])
            throw SpawnError(description: "cannot start \(executable): \(errorText(result))")
        }
        return SpawnedProcess(pid: pid, stdout: out[0], stderr: err[0])
    }

    static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}

/// Reaps one child with a blocking waitpid on a thread of its own: the exit is seen the instant it happens,
/// without polling and without a process-wide SIGCHLD handler that would steal other children's statuses.
enum ChildWaiter {
    static func watch(pid: Int32, onExit: @escaping @Sendable (ExitStatus) -> Void) {
        let thread = Thread {
            var status: Int32 = 0
            if warden_wait(pid, &status) == pid {
                onExit(ExitStatus(waitStatus: status))
            } else {
                // ECHILD: someone else reaped it; it is gone all the same.
                onExit(.exited(code: -1))
            }
        }
        thread.name = "warden-wait-\(pid)"
        thread.stackSize = 64 * 1024
        thread.start()
    }
}

/// Warden's side of the orphan guard (see `warden_guard_start`): engines' process groups are registered here
/// so that they die with Warden, even when Warden is SIGKILLed.
public final class OrphanGuard: Sendable {
    private let writeFD: Int32
    public let pid: Int32

    public init() throws {
        var fd: Int32 = -1
        var pid: pid_t = 0
        let result = warden_guard_start(&fd, &pid)
        guard result == 0 else { throw SpawnError(description: "cannot start the orphan guard: \(ProcessSpawner.errorText(result))") }
        self.writeFD = fd
        self.pid = pid
        ChildWaiter.watch(pid: pid) { _ in }   // reap it should it ever die before us
    }

    func register(pgid: Int32) { send(pgid) }
    func unregister(pgid: Int32) { send(-pgid) }

    private func send(_ value: Int32) {
        var record = value
        _ = withUnsafeBytes(of: &record) { write(writeFD, $0.baseAddress, 4) }
    }
}
