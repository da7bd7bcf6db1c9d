import Yams

/// Collects issues while a config is read, so that one run reports all of them (like `promtool check config`).
final class IssueCollector {
    let file: String
    private(set) var issues: [ConfigIssue] = []

    init(file: String) { self.file = file }

    /// The issues by line, as a person fixing the file reads it; those of one line in the order found (the
    /// first pass's before the second's). An issue without a line concerns the whole file and comes first.
    var inLineOrder: [ConfigIssue] { Self.inLineOrder(issues) }

    /// The warnings in the same order.
    var warningsInLineOrder: [ConfigIssue] { Self.inLineOrder(warnings) }

    private static func inLineOrder(_ issues: [ConfigIssue]) -> [ConfigIssue] {
        issues.enumerated().sorted { ($0.element.line ?? 0, $0.offset) < ($1.element.line ?? 0, $1.offset) }.map(\.element)
    }

    /// Not problems: the config is valid and runs, but something in it deserves a look (a secret file every
    /// user can read). Each is listed once.
    private(set) var warnings: [ConfigIssue] = []

    func report(_ message: String, at path: String, line: Int?) {
        issues.append(ConfigIssue(file: file, path: path, line: line, message: message))
    }

    /// Warns at `key` of a mapping the model remembers, as `report` does for a problem.
    func warn(_ message: String, at location: ConfigLocation, key: String) {
        let warning = ConfigIssue(file: file, path: location.path(of: key), line: location.line(of: key), message: message)
        if !warnings.contains(warning) { warnings.append(warning) }
    }

    /// Reports at `key` of a mapping the model remembers (the second pass, which reads no YAML).
    func report(_ message: String, at location: ConfigLocation, key: String) {
        report(message, at: location.path(of: key), line: location.line(of: key))
    }
}

/// A YAML node with its config path, handing out typed values and reporting what does not fit.
///
/// Readers return `nil` after reporting; callers fall back to a default so that reading continues and later
/// problems are found too.
struct YAMLValue {
    let node: Node
    let path: String
    let issues: IssueCollector

    var line: Int? { node.mark?.line }

    func fail(_ message: String) {
        issues.report(message, at: path, line: line)
    }

    private var scalar: String? {
        if case .scalar(let s) = node { return s.string }
        return nil
    }

    private var isNull: Bool { Self.isNull(node) }

    /// YAML's null: `~`, `null` or nothing, unquoted.
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node, s.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    func string(nonEmpty: Bool = true) -> String? {
        guard let text = scalar, !isNull else {
            fail("expected a string")
            return nil
        }
        if nonEmpty && text.isEmpty {
            fail("must not be empty")
            return nil
        }
        return text
    }

    func int(in range: ClosedRange<Int>) -> Int? {
        guard let text = scalar, let value = Int(text) else {
            fail("expected an integer")
            return nil
        }
        guard range.contains(value) else {
            fail("must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
            return nil
        }
        return value
    }

    func double(in range: ClosedRange<Double>) -> Double? {
        guard let text = scalar, let value = Double(text), value.isFinite else {
            fail("expected a number")
            return nil
        }
        guard range.contains(value) else {
            fail("must be between \(range.lowerBound) and \(range.upperBound), got \(text)")
            return nil
        }
        return value
    }

    func bool() -> Bool? {
        switch scalar {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default:
            fail("expected true or false")
            return nil
        }
    }

    func duration(allowZero: Bool = true) -> Duration? {
        guard let text = scalar else {
            fail("expected a duration such as 500ms, 10s, 5m or 1h30m")
            return nil
        }
        guard let value = Units.parseDuration(text) else {
            fail("invalid duration \"\(text)\": expected a number with a unit (ms, s, m, h, d), such as 500ms, 10s, 1h30m")
            return nil
        }
        if !allowZero && value == .zero {
            fail("must be greater than zero")
            return nil
        }
        if value > Units.maxDuration {
            fail("must be at most \(Units.formatDuration(Units.maxDuration))")
            return nil
        }
        return value
    }

    func byteSize() -> Int64? {
        guard let text = scalar, let value = Units.parseByteSize(text) else {
            fail("invalid size: expected bytes or a number with a unit (KB, MB, GB, KiB, MiB, GiB), such as 10MB")
            return nil
        }
        return value
    }

    func sequence() -> [YAMLValue]? {
        guard case .sequence(let items) = node else {
            fail("expected a list")
            return nil
        }
        return items.enumerated().map { index, item in
            YAMLValue(node: item, path: "\(path)[\(index)]", issues: issues)
        }
    }

    func stringList() -> [String]? {
        guard let items = sequence() else { return nil }
        let strings = items.compactMap { $0.string(nonEmpty: false) }
        return strings.count == items.count ? strings : nil
    }

    /// A mapping whose keys are data (environment variables), not schema.
    func stringMap() -> [String: String]? {
        stringPairs().map { pairs in Dictionary(pairs.map { ($0.name, $0.value) }) { first, _ in first } }
    }

    /// A mapping of names to strings, in the order written.
    func stringPairs() -> [(name: String, value: String)]? {
        namedValues("strings") { $0.string(nonEmpty: false) }
    }

    /// Header names to text or, for a secret header, `{file: PATH}` / `{env: VARIABLE}`.
    func headers() -> [String: TextOrSecret]? {
        namedValues("strings or {file: PATH} / {env: VARIABLE}") { value in
            if case .mapping = value.node { return value.secret().map(TextOrSecret.secret) }
            return value.string(nonEmpty: false).map(TextOrSecret.text)
        }.map { pairs in Dictionary(pairs.map { ($0.name, $0.value) }) { first, _ in first } }
    }

    /// A mapping of the user's names to values `read` takes (`noun` says what they are), in the order written.
    func namedValues<Value>(_ noun: String, _ read: (YAMLValue) -> Value?) -> [(name: String, value: Value)]? {
        guard case .mapping(let mapping) = node else {
            fail("expected a mapping of names to \(noun)")
            return nil
        }
        var result: [(name: String, value: Value)] = []
        for (key, value) in mapping {
            guard let name = key.string, !name.isEmpty else {
                issues.report("expected a non-empty name", at: path, line: key.mark?.line)
                continue
            }
            if let read = read(YAMLValue(node: value, path: "\(path).\(name)", issues: issues)) {
                result.append((name, read))
            }
        }
        return result
    }

    /// This value as one schema mapping, given to `read`; afterwards, every key `read` did not ask for is
    /// reported as unknown.
    func readMapping<Model>(_ read: (MappingReader) -> Model?) -> Model? {
        guard let map = mapping() else { return nil }
        defer { map.finish() }
        return read(map)
    }

    func mapping() -> MappingReader? {
        guard case .mapping(let mapping) = node else {
            fail("expected a mapping")
            return nil
        }
        return MappingReader(mapping: mapping, value: self)
    }
}

/// Reads the keys of one schema mapping and, at `finish()`, reports every key nobody asked for: a typo in
/// a monitoring config must not silently fall back to a default.
final class MappingReader {
    private let entries: [(key: String, node: Node, line: Int?)]
    private let value: YAMLValue
    private var consumed: Set<String> = []

    init(mapping: Node.Mapping, value: YAMLValue) {
        self.value = value
        // Duplicate keys never get here: the YAML parser rejects them with their line.
        self.entries = mapping.map { key, node in (key.string ?? "", node, key.mark?.line) }
    }

    var line: Int? { value.line }
    var path: String { value.path }

    /// Where this mapping and each of its keys' values are written, for the model to keep.
    var location: ConfigLocation {
        var keyLines: [String: Int] = [:]
        for entry in entries { keyLines[entry.key] = entry.node.mark?.line ?? entry.line }
        return ConfigLocation(path: path, line: line, keyLines: keyLines)
    }

    func fail(_ message: String) { value.fail(message) }

    subscript(key: some CodingKey) -> YAMLValue? { self[key.stringValue] }
    func has(_ key: some CodingKey) -> Bool { has(key.stringValue) }
    func mentions(_ key: some CodingKey) -> Bool { mentions(key.stringValue) }

    /// The value under `key`; when there is none (or `null`), says the key is missing, with `hint` on what
    /// it takes.
    func required(_ key: some CodingKey, _ hint: String? = nil) -> YAMLValue? {
        guard let value = self[key] else {
            fail("missing required key \"\(key.stringValue)\"" + (hint.map { " (\($0))" } ?? ""))
            return nil
        }
        return value
    }

    /// Reports each problem a model's `validate()` found at its key. A problem about a key the file leaves
    /// out is a default meeting a written value, not a mistake in the file, and is not reported: the
    /// conversion adapts the default where it matters (a busy timeout is cut to a short probe timeout).
    func report(_ problems: [ConfigProblem]) {
        for problem in problems { self[problem.key]?.fail(problem.message) }
    }

    /// The value under `key`, or nil when absent (explicit `null` counts as absent).
    subscript(key: String) -> YAMLValue? {
        consumed.insert(key)
        guard let entry = entries.first(where: { $0.key == key }), !YAMLValue.isNull(entry.node) else { return nil }
        return YAMLValue(node: entry.node, path: Self.join(value.path, key), issues: value.issues)
    }

    /// Whether `key` has a value. Explicit `null` has none, as for the subscript: `name: ~` is a missing name,
    /// not an entry silently dropped.
    func has(_ key: String) -> Bool { entries.contains { $0.key == key && !YAMLValue.isNull($0.node) } }

    /// Whether `key` is written at all, even as `null` (which, for an optional pointer, means "none").
    func mentions(_ key: String) -> Bool { entries.contains { $0.key == key } }

    func finish() {
        for entry in entries where !consumed.contains(entry.key) {
            let known = consumed.sorted().joined(separator: ", ")
            value.issues.report("unknown key \"\(entry.key)\" (known keys: \(known))",
                                at: Self.join(value.path, entry.key), line: entry.line)
        }
    }

    private static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }
}
