/// One problem in a config file, located precisely enough to fix without searching.
public struct ConfigIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    /// Dotted path of the offending key, e.g. `engines[0].restart.initial_backoff`; empty for the document.
    public let path: String
    /// 1-based line, when the YAML parser knew it.
    public let line: Int?
    public let message: String

    public init(file: String, path: String, line: Int?, message: String) {
        self.file = file
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): \(message)" : "\(location): \(path): \(message)"
    }
}

/// Every problem found in one config file, in the order of their lines; thrown when there is at least one.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public let issues: [ConfigIssue]

    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}
