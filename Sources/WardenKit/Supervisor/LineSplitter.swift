/// Cuts a byte stream into lines without losing or splitting any: bytes after the last newline wait for the
/// next chunk, and `finish()` hands out a final line that had no newline.
///
/// A line longer than `maxLineBytes` is handed out in pieces of that size, each marked `truncated` (the last
/// one too), so that an engine printing a never-ending line cannot make Warden's memory grow without bound.
/// The lines are the same however reads cut the stream (the fuzzer holds it to that).
public struct LineSplitter: Sendable {
    public struct Line: Sendable, Equatable {
        public var text: String
        /// True for a piece of a line that exceeded `maxLineBytes` (more pieces follow or preceded).
        public var truncated: Bool
    }

    public let maxLineBytes: Int
    private var pending: [UInt8] = []
    /// A piece of the current line was handed out already: the rest of it is a piece too.
    private var cut = false

    public init(maxLineBytes: Int = 1 << 20) {
        self.maxLineBytes = maxLineBytes
    }

    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, into lines: inout [Line]) {
        var start = 0
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            if pending.isEmpty {
                emit(UnsafeBufferPointer(rebasing: chunk[start..<newline]), into: &lines)
            } else {
                pending.append(contentsOf: chunk[start..<newline])
                pending.withUnsafeBufferPointer { emit($0, into: &lines) }
                pending.removeAll(keepingCapacity: true)
            }
            cut = false
            start = newline + 1
        }
        pending.append(contentsOf: chunk[start...])
        // A CR just past the limit waits: if a newline follows, it is not part of the line.
        while pending.count > maxLineBytes + (pending.last == 0x0D ? 1 : 0) {
            let piece = pending.prefix(maxLineBytes)
            lines.append(Line(text: Self.decode(piece), truncated: true))
            pending.removeFirst(maxLineBytes)
            cut = true
        }
    }

    public mutating func feed(_ bytes: [UInt8]) -> [Line] {
        var lines: [Line] = []
        bytes.withUnsafeBufferPointer { feed($0, into: &lines) }
        return lines
    }

    /// The stream ended: the rest, if any, is the last line.
    public mutating func finish() -> Line? {
        defer {
            pending.removeAll()
            cut = false
        }
        guard !pending.isEmpty else { return nil }
        // A CR at the very end is a CRLF cut short by the end of the stream.
        let rest = pending.last == 0x0D ? pending.dropLast() : pending[...]
        if rest.isEmpty && cut { return nil }   // every piece of the line is out already
        return Line(text: Self.decode(rest), truncated: cut)
    }

    private func emit(_ bytes: UnsafeBufferPointer<UInt8>, into lines: inout [Line]) {
        var slice = bytes[...]
        if slice.last == 0x0D { slice = slice.dropLast() }   // CRLF from engines written on Windows
        if slice.count <= maxLineBytes, !cut {
            lines.append(Line(text: String(decoding: UnsafeBufferPointer(rebasing: slice), as: UTF8.self), truncated: false))
            return
        }
        while !slice.isEmpty {
            let piece = slice.prefix(maxLineBytes)
            lines.append(Line(text: String(decoding: UnsafeBufferPointer(rebasing: piece), as: UTF8.self), truncated: true))
            slice = slice.dropFirst(piece.count)
        }
    }

    private static func decode(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: Array(bytes), as: UTF8.self)
    }
}
