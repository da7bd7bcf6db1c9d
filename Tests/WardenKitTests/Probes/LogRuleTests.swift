import Foundation
import Testing
@testable import WardenKit

struct LogRuleTests {
    func line(_ text: String, at time: Double = 5) -> LogLine {
        LogLine(engine: "e", stream: .stdout, text: text, time: time, truncated: false)
    }

    @Test func heartbeatsRememberTheLastMatchAndCountersCount() throws {
        let rules = try LogRuleSet([
            LogRule(name: "decision", pattern: "^DECISION ", kind: .heartbeat),
            LogRule(name: "busy", pattern: "lock_busy", kind: .counter),
            LogRule(name: "refused", pattern: "limitation is hit, limit = [0-9]+", kind: .counter),
        ])
        var state = rules.initialState
        #expect(state.counts == ["busy": 0, "refused": 0])
        rules.apply(line("DECISION symbol=ETHUSDT action=hold", at: 1), to: &state)
        rules.apply(line("no DECISION here", at: 2), to: &state)
        rules.apply(line("tp stage1: lock_busy", at: 3), to: &state)
        rules.apply(line("connections limitation is hit, limit = 10, online = 10", at: 4), to: &state)
        rules.apply(line("connections limitation is hit, limit = ten", at: 5), to: &state)
        #expect(state.lastMatch == ["decision": 1])
        #expect(state.counts == ["busy": 1, "refused": 1])
        #expect(throws: ProbeFailure.self) { try LinePattern("unclosed (group") }
    }

    /// Found by fuzzing: glibc's regcomp copies a repeated part once per repetition, so a pattern with stacked
    /// or nested repetitions took over 2 GB to compile. Such patterns are refused with the reason; ordinary
    /// ones, bounded repetitions included, still compile.
    @Test func aPatternThatWouldTakeGigabytesToCompileIsRefused() throws {
        let stacked = "connections" + String(repeating: "+", count: 40) + " limitation is hit"
        #expect(PatternShape(stacked).copies > 1e12)
        #expect(PatternShape("((x{99}){99}){99}").copies > 900_000)
        #expect(LinePattern.refusal(stacked)?.hasPrefix("stacks repetition operators") == true)
        #expect(throws: ProbeFailure.self) { try LinePattern(stacked) }
        do {
            _ = try LinePattern("((x{99}){99}){99}")
            Issue.record("a nested repetition of a million copies compiled")
        } catch {
            #expect(error.description.contains("repeats too much"), "\(error)")
        }
        // Found next: a thousand nested loops compile fast enough, sixteen thousand take minutes.
        #expect(throws: ProbeFailure.self) { try LinePattern("x*" + String(repeating: "+", count: 14)) }
        for ordinary in ["^DECISION ", "limitation is hit, limit = [0-9]+", "(lock_busy|recently_executed){1,3}",
                         "[]{}+]x{2,}", "a{999}", "\\{+", "[[:digit:]]{1,5}", "x|y|z+", "(foo (bar)?)+", "a{2}b{0,3}"] {
            #expect(PatternShape(ordinary).copies <= 1000, "\(ordinary)")
            #expect(throws: Never.self) { try LinePattern(ordinary) }
        }
    }

    /// Found by review: what the first estimate missed. Empty groups counted as nothing (`(){100}{100}` took
    /// 1.6 GB), deep nesting is slow or crashes regcomp whatever the copies, and a long flat pattern was
    /// refused as if it repeated.
    @Test func emptyGroupsDeepNestingAndLengthAreBoundedButFlatPatternsPass() throws {
        for pattern in ["(){100}{100}", "(|){200}{200}", "(||||||||){50}{50}"] {
            #expect(LinePattern.refusal(pattern) != nil, "\(pattern)")
        }
        #expect(PatternShape("(){100}").copies == 100, "an empty group still costs one")
        let deep = String(repeating: "(", count: 40) + "a" + String(repeating: ")*", count: 40)
        #expect(LinePattern.refusal(deep) == "nests groups 40 deep (at most 32)")
        #expect(LinePattern.refusal(String(repeating: "(", count: 20) + "a" + String(repeating: ")", count: 20)) == nil)
        #expect(LinePattern.refusal(String(repeating: "a", count: 1020) + ".") == nil, "1,021 bytes that repeat nothing")
        #expect(LinePattern.refusal("(" + String(repeating: "é", count: 30) + "){20}") != nil, "bytes, not characters, are copied")
        #expect(LinePattern.refusal("\\(" + String(repeating: "a", count: 10) + "\\)") == nil, "escaped parentheses are no group")
        #expect(LinePattern.refusal(String(repeating: "a|", count: 600))?.contains("bytes long") == true)
    }

    /// Found by fuzzing after the review: stacked `?` under `+` took seconds to compile with under a thousand
    /// copies. Measured next: repeating what can match nothing explodes (`(a?)+` nested ten deep, or
    /// `((a?|b?)+)+` in 120 copies, did not compile in 30 s), while non-empty repetitions of the same shape
    /// compile at once. So stacked operators and repetitions of what can match nothing are refused.
    @Test func repeatingWhatCanMatchNothingIsRefused() throws {
        let nested = (0..<6).reduce((0..<10).reduce("a") { pattern, _ in "(\(pattern))?" }) { pattern, _ in "(\(pattern))+" }
        for pattern in [nested, "(((a?|b?)+)+){120}", "((a*)+){400}", "(x*)*", "(^)+", "(\\b)*", "a{0,1}{2}",
                        "(a?b?c?){30}", " $\\\\\u{FFFD}??????????????++++???????????????\u{FFFD}??+"] {
            let refusal = LinePattern.refusal(pattern)
            #expect(refusal?.contains("can match nothing") == true || refusal?.hasPrefix("stacks repetition") == true,
                    "\(pattern): \(refusal ?? "accepted")")
        }
        for pattern in ["(((a|b)+)+){120}", "(.+){499}", "([a-z]+ [0-9]+){199}", "((x+)+){249}", "(a?b)+", "(x{0,3}y)*",
                        "((((((((a)+)+)+)+)+)+)+)+", "^(DECISION|decision)[: ]+.*$"] {
            #expect(LinePattern.refusal(pattern) == nil, "\(pattern): \(LinePattern.refusal(pattern) ?? "")")
        }
    }

    /// glibc's matcher is quadratic in the line for `.*` patterns; a rule reads a line's first 4 KiB.
    @Test func aRuleReadsTheFirstFourKibibytesOfALine() throws {
        let pattern = try LinePattern("order .*rejected")
        let long = String(repeating: "order ", count: 20_000)
        #expect(!pattern.matches(long), "120 KB of a near miss is refused in milliseconds, not seconds")
        #expect(pattern.matches("order 42 rejected" + long))
        #expect(!pattern.matches(String(repeating: "x", count: 4096) + "order 42 rejected"), "past 4 KiB is not read")
        #expect(try LinePattern("rejected").matches(String(repeating: "x", count: 4090) + "rejected") == false,
                "the plain-string search reads the same 4 KiB")
    }

    /// A back-reference makes glibc backtrack: one line of the engine's output could stall the log pipeline.
    @Test func backReferencesAreRefusedAndAnEscapedBackslashIsNot() throws {
        do {
            _ = try LinePattern("(a|aa)*\\1b")
            Issue.record("a back-reference compiled")
        } catch {
            #expect(error.description.contains("back-reference (\\1)"), "\(error)")
        }
        #expect(try LinePattern("C:\\\\1st").matches("path C:\\1st run"), "an escaped backslash before a digit is a literal")
        #expect(LinePattern.backReference(in: "(a)\\\\\\1") == "\\1", "an escaped backslash, then a back-reference")
    }
}
