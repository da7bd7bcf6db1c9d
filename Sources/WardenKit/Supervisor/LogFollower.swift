import Foundation
import Logging

/// Reads a log file another program writes, as `tail -F` does: from its end when first opened (the past is not
/// news), line by line as it grows, and on through the two ways logs rotate:
/// - *rename* (logrotate's default, supervisord, Python's RotatingFileHandler): the path names a new file. What
///   the old one still held is read to its end first, then the new one from its start.
/// - *copytruncate*: the same file shrinks. It is read again from its start.
///
/// A file that is missing, or appears only later, is waited for; one that appears later is read from its start,
/// since everything in it is new. Lines are split and capped as captured output is (`LineSplitter`).
///
/// Limits shared with every follower that polls: lines written after a rename into the old file, once the
/// new file was taken, are not read; a copytruncate followed by more writing than was read before the next look
/// is not seen as a truncation, and the lines in between are skipped.
final class LogFollower {
    let path: String
    private var splitter: LineSplitter
    private var file: Int32 = -1
    private var identity: (device: UInt64, inode: UInt64)?
    private var offset: off_t = 0
    /// Only what is found at the first look is old: a file found at any later look is new, and read from its start.
    private var firstLook = true
    /// Why the file cannot be read, while it cannot; none once it is read again.
    private(set) var problem: String?
    /// The last look stopped at `readLimit` with more to read.
    private(set) var behind = false

    /// At most this much is read per look, so that a burst cannot hold a thread or memory for long; the rest
    /// waits for the next look.
    static let readLimit = 4 << 20

    init(path: String, maxLineBytes: Int = 1 << 20) {
        self.path = path
        splitter = LineSplitter(maxLineBytes: maxLineBytes)
    }

    /// Everything written since the last look, as whole lines; a line still being written waits.
    func look() -> [LineSplitter.Line] {
        var lines: [LineSplitter.Line] = []
        var budget = Self.readLimit
        defer {
            behind = budget == 0
            firstLook = false
        }
        if file >= 0 {
            var status = stat()
            if fstat(file, &status) == 0, status.st_size < offset {
                // Truncated in place: the end of a line cut off by it will never come.
                finishLine(into: &lines)
                offset = 0
            }
            readToEnd(into: &lines, budget: &budget)
            // More to read from this file: the next look goes on with it before any rotation.
            if budget == 0 { return lines }
        }
        var current = stat()
        guard stat(path, &current) == 0 else {
            if file < 0 { problem = errno == ENOENT ? "\(path) does not exist (yet)" : "cannot see \(path): \(Self.describe(errno))" }
            return lines
        }
        let found = (device: UInt64(current.st_dev), inode: UInt64(current.st_ino))
        if let identity, file >= 0, identity == found { return lines }
        if file >= 0 {
            // Rotated by rename: the old file was read to its end above.
            finishLine(into: &lines)
            close(file)
            file = -1
        }
        let opened = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard opened >= 0 else {
            problem = "cannot open \(path): \(Self.describe(errno))"
            return lines
        }
        var status = stat()
        fstat(opened, &status)
        file = opened
        identity = (UInt64(status.st_dev), UInt64(status.st_ino))
        offset = firstLook ? status.st_size : 0
        problem = nil
        readToEnd(into: &lines, budget: &budget)
        return lines
    }

    deinit {
        if file >= 0 { close(file) }
    }

    private func readToEnd(into lines: inout [LineSplitter.Line], budget: inout Int) {
        let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 64 * 1024)
        defer { buffer.deallocate() }
        while budget > 0 {
            let count = pread(file, buffer.baseAddress, min(buffer.count, budget), offset)
            if count < 0 && errno == EINTR { continue }
            if count < 0 { problem = "cannot read \(path): \(Self.describe(errno))" }
            guard count > 0 else { return }
            offset += off_t(count)
            budget -= count
            splitter.feed(UnsafeBufferPointer(rebasing: buffer[0..<count]), into: &lines)
        }
    }

    private func finishLine(into lines: inout [LineSplitter.Line]) {
        if let last = splitter.finish() { lines.append(last) }
    }

    /// How often a followed file is looked at: lines reach the rules within this.
    static let interval = Duration.milliseconds(250)

    /// Follows `path` until cancelled, handing each line to `publish` as the engine's `file` stream. A file that
    /// cannot be read is logged once, and again when it can.
    static func follow(_ path: String, engine: String, publish: @Sendable (LogLine) -> Void, logger: Logger) async {
        let follower = LogFollower(path: path)
        var told: String?
        while !Task.isCancelled {
            let lines = follower.look()
            let now = Date().timeIntervalSince1970
            for line in lines {
                publish(LogLine(engine: engine, stream: .file, text: line.text, time: now, truncated: line.truncated))
            }
            if follower.problem != told {
                if let problem = follower.problem {
                    logger.warning("the followed log cannot be read; its log rules see nothing until it can", metadata: ["engine": "\(engine)", "why": "\(problem)"])
                } else {
                    logger.info("following the log file", metadata: ["engine": "\(engine)", "file": "\(path)"])
                }
                told = follower.problem
            }
            if !follower.behind { try? await Task.sleep(for: interval) }
        }
    }

    private static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }
}
