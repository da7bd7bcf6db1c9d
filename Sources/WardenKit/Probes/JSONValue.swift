import Foundation

/// A decoded JSON document as a Sendable value, so probe outputs can cross tasks and live in the board.
public enum JSONValue: Sendable, Equatable, Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    public static func parse(_ data: Data) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Why `parse` failed, in the parser's words ("Unexpected character 'n' around line 1, column 2.").
    public static func reason(_ error: any Error) -> String {
        guard case DecodingError.dataCorrupted(let context) = error else { return "the body is not valid JSON" }
        let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
        return "the body is not valid JSON: " + (underlying ?? context.debugDescription)
    }

    /// Numbers, and numeric strings (engines print both).
    public var number: Double? {
        switch self {
        case .number(let value): value
        case .string(let text): Double(text)
        case .bool(let value): value ? 1 : 0
        default: nil
        }
    }

    public var string: String? {
        switch self {
        case .string(let text): text
        case .number(let value): ExpositionWriter.format(value)
        default: nil
        }
    }

    /// A scalar as text: strings, numbers and booleans as JSON writes them.
    public var text: String? {
        if case .bool(let value) = self { return value ? "true" : "false" }
        return string
    }
}

/// RFC 6901 JSON pointers (`/websocket/last_message_time`, `/positions/0/pnl/mark`). Pure, so the escaping
/// rules (`~0`, `~1`) are unit-tested.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    public let tokens: [String]
    public let description: String

    /// nil for text that is not a pointer (it must be empty or start with `/`). Read by Unicode scalar, not by
    /// character: a `/` followed by a combining mark is one Swift character, and was not seen as a separator
    /// (the fuzzer found it, through a report's key).
    public init?(_ text: String) {
        guard text.isEmpty || text.unicodeScalars.first == "/" else { return nil }
        description = text
        tokens = text.isEmpty ? [] : text.unicodeScalars.dropFirst().split(separator: "/", omittingEmptySubsequences: false).map {
            String(String.UnicodeScalarView($0)).replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        }
    }

    /// A key as one pointer token: `~` and `/` escaped, so that a field named in an error can be found again.
    public static func token(_ key: String) -> String {
        key.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// The value at this pointer, or nil when a step is missing.
    public func resolve(in document: JSONValue) -> JSONValue? {
        var current = document
        for token in tokens {
            switch current {
            case .object(let object):
                guard let next = object[token] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(token), index >= 0, index < array.count, token == String(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }
}

/// One cell of a SQL result, as a Sendable value.
public enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)

    public var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .real(let value): value
        case .text(let text): Double(text)
        case .null: nil
        }
    }

    /// The cell as text; none for NULL.
    public var text: String? {
        switch self {
        case .integer(let value): String(value)
        case .real(let value): ExpositionWriter.format(value)
        case .text(let text): text
        case .null: nil
        }
    }
}

public typealias SQLRows = [[SQLValue]]
