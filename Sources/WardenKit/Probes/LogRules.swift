import CWardenSys
import Foundation

/// What a log rule does with a matching line.
public enum LogRuleKind: String, Sendable, CaseIterable {
    /// Remembers the time of the last match ("a decision was printed": the silent loop, docs/incidents.md).
    case heartbeat
    /// Counts matches (`lock_busy`, the broker's `connections limitation is hit`).
    case counter
}

public struct LogRule: Sendable, Equatable {
    public var name: String
    public var pattern: String
    public var kind: LogRuleKind

    public init(name: String, pattern: String, kind: LogRuleKind) {
        self.name = name
        self.pattern = pattern
        self.kind = kind
    }
}

/// One compiled pattern: POSIX extended regular expressions (the `grep -E` dialect), with a `memmem` fast
/// path when the pattern is a plain literal. Either way far cheaper per line than Foundation's regex, which
/// matters at 50,000 lines per second.
public final class LinePattern: @unchecked Sendable {
    // regexec on a compiled regex_t is thread-safe in glibc; the pointer is never mutated after init.
    private let regex: UnsafeMutablePointer<regex_t>?
    private let literal: [UInt8]?

    /// A pattern without metacharacters, searched as a plain string.
    public static func isLiteral(_ pattern: String) -> Bool {
        !pattern.isEmpty && !pattern.contains(where: { "\\^$.|?*+()[]{}".contains($0) })
    }

    public init(_ pattern: String) throws(ProbeFailure) {
        if Self.isLiteral(pattern) {
            literal = Array(pattern.utf8)
            regex = nil
            return
        }
        literal = nil
        if let refusal = Self.refusal(pattern) { throw ProbeFailure("regular expression \"\(pattern)\" \(refusal)") }
        let compiled = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let status = regcomp(compiled, pattern, REG_EXTENDED | REG_NOSUB)
        guard status == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(status, compiled, &message, message.count)
            compiled.deallocate()
            let text = String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ProbeFailure("invalid regular expression \"\(pattern)\": \(text)")
        }
        regex = compiled
    }

    /// Log patterns are a few dozen characters; these bounds are far above any real one and far below what
    /// hurts. Measured with glibc 2.36: nested `+` of 1,024 copies compiles in 0.4 s, of 4,096 in 7 s, of 16,384 in
    /// minutes, while flat counts are cheap (`a{1000}` in under 1 ms); groups nested 4,000 deep take 14 s, and
    /// 20,000 deep overflow regcomp's stack.
    static let maxPatternBytes = 1024
    static let maxGroupDepth = 32
    static let maxExpansion = 1_000.0

    /// Why glibc must not compile `pattern`: it would take long or crash doing so, or matching it could
    /// take minutes on one line. Nil for a pattern that is fine.
    static func refusal(_ pattern: String) -> String? {
        if pattern.utf8.count > maxPatternBytes {
            return "is \(pattern.utf8.count) bytes long (at most \(maxPatternBytes))"
        }
        var depth = 0, deepest = 0, escaped = false
        for character in pattern.unicodeScalars {
            defer { escaped = !escaped && character == "\\" }
            guard !escaped else { continue }
            if character == "(" { depth += 1; deepest = max(deepest, depth) }
            if character == ")" { depth = max(0, depth - 1) }
        }
        if deepest > maxGroupDepth {
            return "nests groups \(deepest) deep (at most \(maxGroupDepth))"
        }
        // glibc takes `\1`…`\9` in ERE too, and matching them backtracks: `(a|aa)*\1b` against a line of 400 `a`
        // takes 13 s, of 800 over a minute.
        if let backReference = backReference(in: pattern) {
            return "uses a back-reference (\(backReference)), which can make matching one line take minutes; "
                + "Warden's patterns are POSIX ERE without them"
        }
        let shape = PatternShape(pattern)
        if let problem = shape.problem { return problem }
        // A pattern is never refused for its plain length: only repetitions multiply.
        let limit = max(maxExpansion, Double(pattern.utf8.count))
        if shape.copies > limit {
            let copies = shape.copies < 1e9 ? String(Int(shape.copies)) : "more than a billion"
            return "repeats too much: it would compile to about \(copies) copies of its parts (at most \(Int(limit))), "
                + "which takes long to compile; simplify its repetitions"
        }
        return nil
    }

    /// The first `\1`…`\9` that is not itself an escaped backslash followed by a digit.
    static func backReference(in pattern: String) -> String? {
        var characters = pattern.unicodeScalars.makeIterator()
        while let character = characters.next() {
            guard character == "\\", let escaped = characters.next() else { continue }
            if ("1"..."9").contains(escaped) { return "\\\(escaped)" }
        }
        return nil
    }

    deinit {
        if let regex {
            regfree(regex)
            regex.deallocate()
        }
    }

    /// A rule reads the first 4 KiB of a line. glibc's matcher is quadratic in the line for patterns as
    /// ordinary as `order .*rejected`: 120 KB of `order ` took 4 s, and lines may be 1 MiB. At 4 KiB the worst
    /// seen is milliseconds, and what a rule looks for sits at the start of the line.
    public static let maxMatchedBytes = 4096

    public func matches(_ line: String) -> Bool {
        var line = line
        return line.withUTF8 { whole in
            let bytes = UnsafeBufferPointer(rebasing: whole.prefix(Self.maxMatchedBytes))
            if let literal {
                return literal.withUnsafeBytes { needle in
                    warden_contains(bytes.baseAddress, bytes.count, needle.baseAddress, needle.count) != 0
                }
            }
            // regexec wants a C string; lines never contain NUL in practice, and one that does is cut there.
            return bytes.withMemoryRebound(to: CChar.self) { characters in
                var buffer = [CChar](characters)
                buffer.append(0)
                return regexec(regex!, buffer, 0, nil, 0) == 0
            }
        }
    }
}

/// Heartbeats and counters of one engine's log rules: the state the rules build from the line stream.
public struct LogRuleState: Sendable, Equatable {
    /// Unix time of each heartbeat rule's last match.
    public var lastMatch: [String: Double] = [:]
    /// Matches of each counter rule since Warden started.
    public var counts: [String: Double] = [:]

    public init() {}
}

/// Applies an engine's rules to every line it prints.
public struct LogRuleSet: Sendable {
    public let rules: [LogRule]
    private let patterns: [LinePattern]

    public init(_ rules: [LogRule]) throws(ProbeFailure) {
        self.rules = rules
        var patterns: [LinePattern] = []
        for rule in rules { patterns.append(try LinePattern(rule.pattern)) }
        self.patterns = patterns
    }

    public func apply(_ line: LogLine, to state: inout LogRuleState) {
        for (rule, pattern) in zip(rules, patterns) where pattern.matches(line.text) {
            switch rule.kind {
            case .heartbeat: state.lastMatch[rule.name] = line.time
            case .counter: state.counts[rule.name, default: 0] += 1
            }
        }
    }

    /// Counters start at 0 so that they exist (and `rate()` works) before the first match.
    public var initialState: LogRuleState {
        var state = LogRuleState()
        for rule in rules where rule.kind == .counter { state.counts[rule.name] = 0 }
        return state
    }
}
