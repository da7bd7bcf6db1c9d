import Foundation

/// Where a secret comes from. Configs name the place, never the value, so a config file can be shared,
/// committed or pasted into an issue without leaking anything.
public enum SecretSource: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case environment(String)

    /// Reads the secret; surrounding whitespace (the newline `echo` leaves) is dropped.
    public func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SecretError) -> String {
        let raw: String
        switch self {
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw SecretError(description: "cannot read secret file \(path)")
            }
            raw = String(decoding: data, as: UTF8.self)
        case .environment(let name):
            guard let value = environment[name] else {
                throw SecretError(description: "environment variable \(name) is not set")
            }
            raw = value
        }
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw SecretError(description: "\(self) is empty") }
        return value
    }

    /// Names the source, never the value.
    public var description: String {
        switch self {
        case .file(let path): "secret file \(path)"
        case .environment(let name): "environment variable \(name)"
        }
    }
}

public struct SecretError: Error, CustomStringConvertible {
    public let description: String
}
