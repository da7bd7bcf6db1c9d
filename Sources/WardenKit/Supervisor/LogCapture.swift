import Foundation
import Synchronization

/// One line an engine printed. The single stream type that log rules, heartbeats and counters consume.
public struct LogLine: Sendable, Equatable {
    public enum Stream: String, Sendable { case stdout, stderr }

    public var engine: String
    public var stream: Stream
    public var text: String
    /// Wall-clock seconds when Warden read the line.
    public var time: Double
    public var truncated: Bool
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

/// Reads an engine's stdout and stderr pipes on threads of their own, line by line, into the rotating log
/// file and the broadcast.
struct LogCapture: Sendable {
    let engine: String
    let file: RotatingLogFile
    let broadcast: LogLineBroadcast

    /// Reads until EOF (the engine and everything holding the pipe closed it), then closes `fd`.
    func start(fd: Int32, stream: LogLine.Stream, onEOF: @escaping @Sendable () -> Void = {}) {
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
            onEOF()
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
