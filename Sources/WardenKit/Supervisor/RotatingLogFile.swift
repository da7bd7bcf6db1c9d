import Foundation
import Synchronization

/// The engine's captured output on disk, rotated by size like logrotate's `copytruncate`-free scheme:
/// `engine.log` is current, `engine.log.1` the previous one, up to `maxFiles` files in all.
///
/// Writes come from the stdout and stderr reader threads at once, hence the lock. A failing disk is
/// reported once per failure streak and never stops supervision.
public final class RotatingLogFile: Sendable {
    public let path: String
    public let maxBytes: Int64
    public let maxFiles: Int
    private let state: Mutex<State>
    private let onError: @Sendable (String) -> Void

    private struct State {
        var fd: Int32 = -1
        var size: Int64 = 0
        var failing = false
    }

    public init(path: String, maxBytes: Int64, maxFiles: Int, onError: @escaping @Sendable (String) -> Void = { _ in }) {
        self.path = path
        self.maxBytes = max(maxBytes, 1)
        self.maxFiles = max(maxFiles, 1)
        self.onError = onError
        self.state = Mutex(State())
    }

    deinit {
        state.withLock { if $0.fd >= 0 { close($0.fd) } }
    }

    /// Appends one line (a newline is added).
    public func write(line: String) {
        var bytes = Array(line.utf8)
        bytes.append(0x0A)
        state.withLock { state in
            if state.fd < 0 { open(&state) }
            if state.fd >= 0, state.size > 0, state.size + Int64(bytes.count) > maxBytes { rotate(&state) }
            guard state.fd >= 0 else { return }
            let written = bytes.withUnsafeBytes { Foundation.write(state.fd, $0.baseAddress, $0.count) }
            if written == bytes.count {
                state.size += Int64(written)
                state.failing = false
            } else {
                fail(&state, "cannot write \(path): \(String(cString: strerror(errno)))")
            }
        }
    }

    private func open(_ state: inout State) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let fd = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else {
            fail(&state, "cannot open \(path): \(String(cString: strerror(errno)))")
            return
        }
        var info = stat()
        state.size = fstat(fd, &info) == 0 ? Int64(info.st_size) : 0
        state.fd = fd
    }

    private func rotate(_ state: inout State) {
        close(state.fd)
        state.fd = -1
        if maxFiles == 1 {
            unlink(path)
        } else {
            unlink("\(path).\(maxFiles - 1)")
            for index in stride(from: maxFiles - 2, through: 1, by: -1) {
                rename("\(path).\(index)", "\(path).\(index + 1)")
            }
            rename(path, "\(path).1")
        }
        open(&state)
    }

    private func fail(_ state: inout State, _ message: String) {
        if !state.failing { onError(message) }
        state.failing = true
    }
}
