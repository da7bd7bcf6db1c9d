import Foundation
import Yams

// How the model's values are written back as YAML: each in the notation the loader reads, so that an encoded
// model is a config file the loader accepts and reads back to an equal model.

/// How one kind of value is written in a config file.
public protocol ConfigNotationFormat {
    associatedtype Value: Sendable & Equatable
    /// The text the loader reads back to `value`.
    static func text(_ value: Value) -> String
}

/// A value written in the config's notation for its kind, not in its own Codable form: a `Duration` as
/// `1h30m` rather than two integers, a double as `0.1` rather than Yams' `1e-1`.
@propertyWrapper
public struct Written<Format: ConfigNotationFormat>: Sendable, Equatable, Encodable {
    public var wrappedValue: Format.Value

    public init(wrappedValue: Format.Value) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(PlainScalar(Format.text(wrappedValue)))
    }
}

/// `500ms`, `10s`, `1h30m`.
public enum DurationFormat: ConfigNotationFormat {
    public static func text(_ value: Duration) -> String { Units.formatDuration(value) }
}

/// `64KiB`, `10MB`, or plain bytes.
public enum ByteSizeFormat: ConfigNotationFormat {
    public static func text(_ value: Int64) -> String { Units.formatByteSize(value) }
}

/// `2`, `0.1`: whole numbers without a fraction, others as Swift's shortest text that reads back the same.
public enum NumberFormat: ConfigNotationFormat {
    public static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : value.description
    }
}

public typealias DurationNotation = Written<DurationFormat>
public typealias ByteSizeNotation = Written<ByteSizeFormat>
public typealias NumberNotation = Written<NumberFormat>

/// A scalar written without quotes, such as a number or `off`, which the loader reads by its text.
struct PlainScalar: YAMLEncodable {
    let text: String

    init(_ text: String) { self.text = text }

    func box() -> Node { Node(text, .implicit, .plain) }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}

/// Where a model value was written: the key path and line of its mapping and the line of each key's value.
/// The second pass of the loader names its problems (a check naming an unknown probe) with it.
///
/// An entry whose required key is missing or invalid stays in the model with a placeholder in that key,
/// which is then listed in `unread`: the second pass still checks the rest of the entry, so that one run
/// names every problem, and converts none of it. Such a model is never handed out, since the first pass
/// reported the key.
///
/// Where a value is written is not part of what it says: every location equals every other, so two models
/// read from differently laid out files compare equal when they configure the same thing, and a location is
/// never encoded.
public struct ConfigLocation: Sendable, Hashable {
    var path = ""
    var line: Int?
    var keyLines: [String: Int] = [:]
    /// Required keys that hold a placeholder, because the first pass could not read them.
    private(set) var unread: Set<String> = []

    public static func == (_: ConfigLocation, _: ConfigLocation) -> Bool { true }
    public func hash(into hasher: inout Hasher) {}

    /// The dotted path of `key` under this mapping, as issues name it.
    func path(of key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The line of `key`'s value, or of the mapping when the key is not written.
    func line(of key: String) -> Int? { keyLines[key] ?? line }

    func wrote(_ key: String) -> Bool { keyLines[key] != nil }

    /// Whether every required key was read, so that the entry can be converted.
    var isComplete: Bool { unread.isEmpty }

    func couldRead(_ key: some CodingKey) -> Bool { !unread.contains(key.stringValue) }

    mutating func markUnread(_ key: some CodingKey) { unread.insert(key.stringValue) }
}

/// A mapping key known only at run time: a name of the user's (an environment variable, a header, a PnL
/// source) rather than one of the schema's.
struct NameKey: CodingKey {
    let stringValue: String
    init(_ name: String) { stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// A mapping of the user's names to values, written in the order given.
struct NamedValues<Value: Encodable>: Encodable {
    let entries: [(name: String, value: Value)]

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: NameKey.self)
        for entry in entries { try container.encode(entry.value, forKey: NameKey(entry.name)) }
    }
}

/// Names of the user's (environment variables, headers, labels) to values, written sorted by name so that
/// the same model always encodes to the same text.
@propertyWrapper
public struct SortedByName<Value: Sendable & Equatable & Encodable>: Sendable, Equatable, Encodable {
    public var wrappedValue: [String: Value]

    public init(wrappedValue: [String: Value]) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        try NamedValues(entries: wrappedValue.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }).encode(to: encoder)
    }
}

/// A value that may be none on purpose, written as `null` rather than left out: leaving the key out means
/// its default, which is not none.
@propertyWrapper
public struct NullWhenNone<Value: Sendable & Equatable & Encodable>: Sendable, Equatable, Encodable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

// The runtime's value types, written as the config writes them.

extension ListenAddress: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension Signal: Encodable {
    /// The name (`SIGTERM`), or the number for a signal without one, which `Signal(parsing:)` reads back.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if Self.names.contains(where: { $0.1 == number }) { try container.encode(name) } else { try container.encode(Int(number)) }
    }
}

extension JSONPointer: Encodable {
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension RestartMode: Encodable {}
extension LogRuleKind: Encodable {}

extension SecretSource: Encodable {
    private enum CodingKeys: String, CodingKey { case file, env }

    /// `{file: PATH}` or `{env: VARIABLE}`: the reference, never the secret.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .file(let path): try container.encode(path, forKey: .file)
        case .environment(let name): try container.encode(name, forKey: .env)
        }
    }
}
