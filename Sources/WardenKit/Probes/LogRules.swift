import CWardenSys
import Foundation

/// What a log rule does with a matching line.
public enum LogRuleKind: String, Sendable, CaseIterable {
    /// Remembers the time of the last match ("an AI decision was printed", seed 001).
    case heartbeat
    /// Counts matches (`lock_busy`, `connections limitation is hit`, seeds 002 and 004).
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

    public init(_ pattern: String) throws(ProbeFailure) {
        if !pattern.isEmpty, !pattern.contains(where: { "\\^$.|?*+()[]{}".contains($0) }) {
            literal = Array(pattern.utf8)
            regex = nil
            return
        }
        literal = nil
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

    deinit {
        if let regex {
            regfree(regex)
            regex.deallocate()
        }
    }

    public func matches(_ line: String) -> Bool {
        var line = line
        return line.withUTF8 { bytes in
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
