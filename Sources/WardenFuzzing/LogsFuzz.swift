import WardenKit

/// The engine's output and the rules that read it. The first line is a rule's pattern (from the config);
/// the rest is what the engine prints, fed to the line splitter in chunks whose sizes the input chooses, as
/// pipe reads would cut it.
enum LogsFuzz {
    static let maxLineBytes = 64

    static func run(_ bytes: [UInt8]) -> FuzzVerdict {
        guard let newline = bytes.firstIndex(of: 0x0A) else { return .rejected("no pattern line") }
        let pattern = String(decoding: bytes[..<newline], as: UTF8.self)
        let output = Array(bytes[(newline + 1)...])

        let lines = split(output)
        promise(lines == split(output, chunked: false), "the lines depend on where reads cut the stream")
        if output.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) {
            // Lossless: every byte comes out, in order, and only newlines are taken away.
            let joined = lines.flatMap { Array($0.text.utf8) }
            promise(joined == output.filter { $0 != 0x0A }, "the splitter lost or reordered bytes")
        }
        for line in lines { promise(line.text.utf8.count <= maxLineBytes * 3, "a line of \(line.text.utf8.count) bytes") }

        let rules: LogRuleSet
        do {
            rules = try LogRuleSet([LogRule(name: "beat", pattern: pattern, kind: .heartbeat),
                                    LogRule(name: "count", pattern: pattern, kind: .counter)])
        } catch {
            return .rejected(error.description)
        }
        var state = rules.initialState
        var matched = 0
        let literal = LinePattern.isLiteral(pattern)
        let compiled = try! LinePattern(pattern)   // compiled above, as part of the rule set
        for (index, line) in lines.enumerated() {
            let matches = compiled.matches(line.text)
            if literal, !line.text.utf8.contains(0) {
                promise(matches == contains(Array(line.text.utf8), Array(pattern.utf8)),
                        "the plain-string search and a naive one disagree on \(line.text.debugDescription)")
            }
            rules.apply(LogLine(engine: "bot", stream: .stdout, text: line.text, time: Double(index), truncated: line.truncated),
                        to: &state)
            if matches { matched += 1 }
        }
        promise(state.counts["count"] == Double(matched), "the counter says \(state.counts["count"] ?? -1), not \(matched)")
        // The whole output as one line, as an engine printing without newlines makes it: a rule reads its
        // first 4 KiB, so no pattern that compiles takes long on it (the fuzzer's timeout would say).
        _ = compiled.matches(String(decoding: output, as: UTF8.self))
        return .accepted
    }

    /// The output cut into chunks: each chunk's size is the byte that starts it (1–256), so the fuzzer controls
    /// where reads end, including inside a line, a CRLF or a UTF-8 sequence. Or all of it in one read.
    static func split(_ output: [UInt8], chunked: Bool = true) -> [LineSplitter.Line] {
        var splitter = LineSplitter(maxLineBytes: maxLineBytes)
        var lines: [LineSplitter.Line] = []
        var start = 0
        while start < output.count {
            let end = chunked ? min(output.count, start + Int(output[start]) + 1) : output.count
            output[start..<end].withUnsafeBufferPointer { splitter.feed($0, into: &lines) }
            start = end
        }
        if let last = splitter.finish() { lines.append(last) }
        return lines
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return true }
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }
}
