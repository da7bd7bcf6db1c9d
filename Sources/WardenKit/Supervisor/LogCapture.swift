import Foundation
import Synchronization

/// One line an engine printed. The single stream type that log rules, heartbeats and counters consume.
public struct LogLine: Sendable, Equatable {
    /// `file`: a line of a log file the engine writes itself (`logs.follow`).
    public enum Stream: String, Sendable { case stdout, stderr, file }

    public var engine: String
    public var stream: Stream
    public var text: String
    /// Wall-clock seconds when Warden read the line.
    public var time: Double
    public var truncated: Bool

    public init(engine: String, stream: Stream, text: String, time: Double, truncated: Bool) {
        self.engine = engine
        self.stream = stream
        self.text = text
        self.time = time
        self.truncated = truncated
    }
}

/// Fans an engine's lines out to any number of subscribers. A slow subscriber loses its oldest lines
/// (bounded buffer) rather than slowing the engine's pipes; the log file never loses any.
public final class LogLineBroadcast: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<LogLine>.Continuation]>([:])

    public init() {}

    public func subscribe(bufferSize: Int = 10_000) -> AsyncStream<LogLine> {
        let (stream, continuation) = AsyncStream.makeStream(of: LogLine.self, bufferingPolicy: .bufferingNewest(bufferSize))
        let id = UUID()
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLock { $0.removeValue(forKey: id) }
        }
        subscribers.withLock { $0[id] = continuation }
        return stream
    }

    func publish(_ line: LogLine) {
        subscribers.withLock { subscribers in
            for continuation in subscribers.values { continuation.yield(line) }
        }
    }

    var hasSubscribers: Bool { subscribers.withLock { !$0.isEmpty } }
}

/// Counts pipe readers that have not reached EOF, so that shutdown can wait until the engine's last words
/// are on disk before Warden exits.
final class OpenReaders: Sendable {
    private struct State {
        var open = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    func opened() { state.withLock { $0.open += 1 } }

    func closed() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open -= 1
            guard state.open == 0 else { return [] }
            defer { state.waiters.removeAll() }
            return Array(state.waiters.values)
        }
        waiters.forEach { $0.resume() }
    }

    /// Returns once every reader is done, or after `timeout`: a helper that escaped the engine's process
    /// group may hold a pipe open forever, and must not hold up Warden's shutdown with it.
    func drained(timeout: Duration) async {
        let id = UUID()
        await withCheckedContinuation { continuation in
            let done = state.withLock { state -> Bool in
                if state.open == 0 { return true }
                state.waiters[id] = continuation
                return false
            }
            if done {
                continuation.resume()
                return
            }
            Task {
                try? await Task.sleep(for: timeout)
                // Whoever removes the waiter resumes it: the timer or the last reader, never both.
                self.state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
            }
        }
    }
}

/// Reads an engine's stdout and stderr pipes on threads of their own, line by line, into the rotating log
/// file and the broadcast.
struct LogCapture: Sendable {
    let engine: String
    let file: RotatingLogFile
    let broadcast: LogLineBroadcast
    let readers: OpenReaders

    /// Reads until EOF (the engine and everything holding the pipe closed it), then closes `fd`.
    func start(fd: Int32, stream: LogLine.Stream) {
        readers.opened()
        let thread = Thread { [self] in
            var splitter = LineSplitter()
            let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)
            defer { buffer.deallocate() }
            var lines: [LineSplitter.Line] = []
            while true {
                let count = read(fd, buffer.baseAddress, buffer.count)
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                lines.removeAll(keepingCapacity: true)
                splitter.feed(UnsafeBufferPointer(rebasing: buffer[0..<count]), into: &lines)
                deliver(lines, stream: stream)
            }
            if let last = splitter.finish() { deliver([last], stream: stream) }
            close(fd)
            readers.closed()
        }
        thread.name = "warden-log-\(engine)-\(stream.rawValue)"
        thread.start()
    }

    private func deliver(_ lines: [LineSplitter.Line], stream: LogLine.Stream) {
        guard !lines.isEmpty else { return }
        let now = Date().timeIntervalSince1970
        let publish = broadcast.hasSubscribers
        for line in lines {
            file.write(line: line.text)
            if publish {
                broadcast.publish(LogLine(engine: engine, stream: stream, text: line.text, time: now, truncated: line.truncated))
            }
        }
    }
}
