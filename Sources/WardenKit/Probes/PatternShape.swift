/// What glibc's regcomp would make of a log rule's pattern, read from its structure alone, so that a pattern
/// that would take minutes or gigabytes to compile is refused at load instead. Pure: unit-tested and fuzzed.
///
/// glibc compiles `x+` as `xx*` and `x{2,5}` as five copies of x, so repetitions multiply (`copies`). And it
/// computes every node's epsilon closure, which explodes when a repetition applies to something that can
/// match nothing: `(a?)+` nested ten deep, or sixty-four copies of it, did not compile in 30 s (measured
/// with glibc 2.36), while non-empty repetitions of the same depth compile in microseconds.
struct PatternShape {
    /// How many copies of its parts (in bytes, as glibc copies them) the compiled expression holds.
    private(set) var copies = 1.0
    /// The first construct that makes compilation explode, described for the person who wrote it.
    private(set) var problem: String?

    /// One part of a sequence: its size, and whether it can match the empty string.
    private struct Part {
        var size: Double
        var nullable: Bool
    }

    /// A group being read: finished alternatives, the current sequence, and its last part (which a quantifier
    /// applies to).
    private struct Frame {
        var alternatives = 0.0
        var anyAlternativeNullable = false
        var sequence = 0.0
        var sequenceNullable = true
        var last: Part?

        mutating func commit() {
            guard let last else { return }
            sequence += last.size
            sequenceNullable = sequenceNullable && last.nullable
            self.last = nil
        }

        mutating func add(_ part: Part) {
            commit()
            last = part
        }

        mutating func endAlternative() {
            commit()
            alternatives += sequence
            anyAlternativeNullable = anyAlternativeNullable || sequenceNullable
            sequence = 0
            sequenceNullable = true
        }

        /// The group as one part; an empty group or alternative still costs a node.
        mutating func close() -> Part {
            endAlternative()
            return Part(size: max(1, alternatives), nullable: anyAlternativeNullable)
        }
    }

    init(_ pattern: String) {
        var frames = [Frame()]
        var afterQuantifier = false
        var characters = Array(pattern.unicodeScalars)[...]
        func add(_ size: Double, nullable: Bool = false) { frames[frames.count - 1].add(Part(size: size, nullable: nullable)) }
        while let character = characters.popFirst() {
            let quantifier = Self.quantifier(character, &characters)
            if let (most, least) = quantifier {
                if afterQuantifier, problem == nil {
                    problem = "stacks repetition operators (such as ++ or *?), which POSIX leaves undefined and "
                        + "glibc compiles into a maze of empty paths"
                }
                var last = frames[frames.count - 1].last ?? Part(size: 1, nullable: false)
                if most > 1, last.nullable, problem == nil {
                    problem = "repeats a part that can match nothing (such as (a?)+ or (x*)*), which glibc takes "
                        + "minutes to compile"
                }
                last.size *= max(1, most.isFinite ? most : least + 1)
                last.nullable = last.nullable || least == 0
                frames[frames.count - 1].last = last
                afterQuantifier = true
                continue
            }
            afterQuantifier = false
            switch character {
            case "\\":
                // GNU's zero-width escapes match nothing; any other escaped character is itself.
                let escaped = characters.popFirst()
                add(Double(escaped.map { UTF8.width($0) } ?? 1), nullable: escaped.map { "bB<>`'".unicodeScalars.contains($0) } ?? false)
            case "^", "$":
                add(1, nullable: true)
            case "(":
                frames.append(Frame())
            case ")" where frames.count > 1:
                var group = frames.removeLast()
                frames[frames.count - 1].add(group.close())
            case "|":
                frames[frames.count - 1].endAlternative()
            case "[":
                Self.skipBracketExpression(&characters)
                add(1)
            default:
                add(Double(UTF8.width(character)))
            }
        }
        while frames.count > 1 {
            var group = frames.removeLast()
            frames[frames.count - 1].add(group.close())
        }
        copies = frames[0].close().size
    }

    /// `*`, `+`, `?` and `{m,n}` as (most, least) repetitions, consuming a `{…}`; nil for anything else, a `{`
    /// that is not a repetition included (glibc reads it as a literal).
    private static func quantifier(_ character: Unicode.Scalar, _ rest: inout ArraySlice<Unicode.Scalar>) -> (Double, Double)? {
        switch character {
        case "*": return (.infinity, 0)
        case "+": return (.infinity, 1)
        case "?": return (1, 0)
        case "{":
            let body = rest.prefix { $0 != "}" }
            let counts = String(String.UnicodeScalarView(body)).split(separator: ",", omittingEmptySubsequences: false)
            guard body.count < rest.count, (1...2).contains(counts.count),
                  counts.allSatisfy({ $0.unicodeScalars.allSatisfy { ("0"..."9").contains($0) } }),
                  !counts[0].isEmpty || counts.count == 2,
                  let least = Double(counts[0].isEmpty ? "0" : counts[0]) else { return nil }
            rest.removeFirst(body.count + 1)
            let most = counts.count == 1 ? least : counts[1].isEmpty ? .infinity : Double(counts[1]) ?? least
            return (most, least)
        default: return nil
        }
    }

    /// A bracket expression is one atom: skip to its `]` (a `]` first, or after `^`, is a member; so are the
    /// insides of `[:alpha:]`, `[.x.]` and `[=e=]`).
    private static func skipBracketExpression(_ characters: inout ArraySlice<Unicode.Scalar>) {
        if characters.first == "^" { characters.removeFirst() }
        if characters.first == "]" { characters.removeFirst() }
        while let member = characters.popFirst(), member != "]" {
            if member == "[", let kind = characters.first, ":.=".unicodeScalars.contains(kind) {
                while let inner = characters.popFirst(), !(inner == kind && characters.first == "]") {}
                _ = characters.popFirst()
            }
        }
    }
}
