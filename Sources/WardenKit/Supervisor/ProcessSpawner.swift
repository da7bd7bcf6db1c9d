import CWardenSys
import Foundation
import Logging
import Synchronization

/// A started engine process: its pid (also its process group id) and the read ends of its output pipes.
struct SpawnedProcess: Sendable {
    let pid: Int32
    let stdout: Int32
    let stderr: Int32
}

struct SpawnError: Error, CustomStringConvertible {
    let description: String
}

/// Starts engines and helpers as leaders of their own process group (see `warden_spawn`), stdin from /dev/null.
enum ProcessSpawner {
    /// With an orphan guard, the group is registered before the program runs: a Warden SIGKILLed at any
    /// instant after this returns, or during it, leaves no process of it behind.
    static func spawn(executable: String, arguments: [String], environment: [String: String],
                      workingDirectory: String, guardedBy orphanGuard: OrphanGuard? = nil) throws(SpawnError) -> SpawnedProcess {
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
        var held: [Int32] = [-1, -1]
        var result = argv.withUnsafeBufferPointer { argvBuffer in
            envp.withUnsafeBufferPointer { envpBuffer in
                warden_spawn_held(executable, argvBuffer.baseAddress, envpBuffer.baseAddress, workingDirectory,
                                  devNull, out[1], err[1], &pid, &held)
            }
        }
        if result == 0 {
            orphanGuard?.register(pgid: pid)
            result = warden_spawn_release(pid, held)
            if result != 0 { orphanGuard?.unregister(pgid: pid) }
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
/// so that they die with Warden, even when Warden is SIGKILLed. Should the guard itself be killed, a new one
/// is started and every live group registered again.
public final class OrphanGuard: Sendable {
    private struct State {
        var writeFD: Int32
        var pid: Int32
        var groups: Set<Int32> = []
    }

    private let state: Mutex<State>
    private let logger: Logger

    public init(logger: Logger) throws {
        let (fd, pid) = try Self.startGuard()
        state = Mutex(State(writeFD: fd, pid: pid))
        self.logger = logger
        watch(pid)
    }

    public var pid: Int32 { state.withLock { $0.pid } }

    func register(pgid: Int32) {
        state.withLock { state in
            state.groups.insert(pgid)
            Self.send(pgid, to: state.writeFD)
        }
    }

    func unregister(pgid: Int32) {
        state.withLock { state in
            state.groups.remove(pgid)
            Self.send(-pgid, to: state.writeFD)
        }
    }

    private func watch(_ pid: Int32) {
        ChildWaiter.watch(pid: pid) { [weak self] status in self?.guardDied(pid: pid, status: status) }
    }

    /// Warden never stops the guard itself, so its death means someone killed it.
    private func guardDied(pid: Int32, status: ExitStatus) {
        logger.critical("the orphan guard died; starting a new one", metadata: ["pid": "\(pid)", "status": "\(status)"])
        do {
            let (fd, newPid) = try Self.startGuard()
            state.withLock { state in
                close(state.writeFD)
                state.writeFD = fd
                state.pid = newPid
                for group in state.groups { Self.send(group, to: fd) }
            }
            watch(newPid)
        } catch {
            logger.critical("cannot start a new orphan guard: engines would outlive a killed Warden",
                            metadata: ["error": "\(error)"])
        }
    }

    private static func startGuard() throws(SpawnError) -> (Int32, Int32) {
        var fd: Int32 = -1
        var pid: pid_t = 0
        let result = warden_guard_start(&fd, &pid)
        guard result == 0 else {
            throw SpawnError(description: "cannot start the orphan guard: \(ProcessSpawner.errorText(result))")
        }
        return (fd, pid)
    }

    /// 4-byte records are atomic on a pipe; the guard reads continuously, so this never blocks for long.
    private static func send(_ value: Int32, to fd: Int32) {
        var record = value
        _ = withUnsafeBytes(of: &record) { write(fd, $0.baseAddress, 4) }
    }
}
