import Foundation
import Yams

/// Reads and validates a config file: every problem is collected with its path and line, and all are
/// reported at once (`warden check-config` prints them like `promtool check config`).
///
/// Two passes. The first reads the YAML into the model (`ConfigFile`), checking each value where it is read;
/// the second (`ConfigResolver`) checks what refers to what (a check naming a probe, a policy on a component
/// something feeds), finds paths and commands on this host, and converts the model into `WardenConfig`. The
/// second pass runs even when the first found problems, on what could be read, so that one run lists them all.
public struct ConfigLoader {
    /// Where to look up bare command names; defaults to Warden's own PATH.
    public var searchPath: String
    public var environment: [String: String]

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
        self.searchPath = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
    }

    public func load(file: String) throws(ConfigError) -> WardenConfig {
        try read(file: file).config
    }

    /// Parses YAML text; relative paths in it are taken relative to `baseDirectory`.
    public func parse(_ yaml: String, file: String, baseDirectory: String) throws(ConfigError) -> WardenConfig {
        try parseWithModel(yaml, file: file, baseDirectory: baseDirectory).config
    }

    /// Reads a file for running it: the model as written (what a later reload compares with) and the config.
    /// `keeping`: the model Warden runs with; the keys only a restart of Warden applies (`instance`, `listen`,
    /// `state_dir`, `admin_token`, `web`, `heartbeat`, and whether an engine is started or attached) are taken
    /// from it before the config is resolved, so that the config is what Warden runs.
    public func read(file: String, keeping running: ConfigFile? = nil) throws(ConfigError) -> (model: ConfigFile, config: WardenConfig) {
        let text = try Self.contents(of: file)
        let baseDirectory = (ConfigResolver.absolute(file, relativeTo: FileManager.default.currentDirectoryPath) as NSString)
            .deletingLastPathComponent
        return try parseWithModel(text, file: file, baseDirectory: baseDirectory, keeping: running)
    }

    public func parseWithModel(_ yaml: String, file: String, baseDirectory: String,
                               keeping running: ConfigFile? = nil) throws(ConfigError) -> (model: ConfigFile, config: WardenConfig) {
        let issues = IssueCollector(file: file)
        let model = try Self.firstPass(yaml, issues: issues)
        let resolver = ConfigResolver(base: baseDirectory, searchPath: searchPath, host: .local, issues: issues)
        let config = model.map { written in
            var model = written
            if let running { model.keepStartupKeys(of: running) }
            return resolver.resolve(model)
        }
        guard issues.issues.isEmpty, let model, var config else { throw ConfigError(issues: issues.inLineOrder) }
        config.warnings = issues.warningsInLineOrder
        return (model, config)
    }

    /// The first pass alone: the file as written, every value checked but nothing looked up. Two models
    /// compare equal when they configure the same thing, however the files are laid out, so a reload can
    /// tell what changed by comparing the model it runs with and the one read now.
    public func readModel(_ yaml: String, file: String) throws(ConfigError) -> ConfigFile {
        let issues = IssueCollector(file: file)
        let model = try Self.firstPass(yaml, issues: issues)
        guard issues.issues.isEmpty, let model else { throw ConfigError(issues: issues.inLineOrder) }
        return model
    }

    /// What could be read of the file; nil when it is not a mapping at all.
    private static func firstPass(_ yaml: String, issues: IssueCollector) throws(ConfigError) -> ConfigFile? {
        YAMLValue(node: try compose(yaml, file: issues.file), path: "", issues: issues).readMapping(ConfigFile.read)
    }

    static func contents(of file: String) throws(ConfigError) -> String {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ConfigError(issues: [ConfigIssue(file: file, path: "", line: nil, message: "cannot read the file")])
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// The document's node tree, or the syntax error that stops reading at once.
    static func compose(_ yaml: String, file: String) throws(ConfigError) -> Node {
        do {
            guard let node = try Yams.compose(yaml: yaml) else {
                throw ConfigError(issues: [ConfigIssue(file: file, path: "", line: nil, message: "the file is empty")])
            }
            return node
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError(issues: [syntaxIssue(error, file: file)])
        }
    }

    /// Never quotes the document: Yams puts the whole YAML text in some errors, and a config may hold
    /// secrets in an engine's `env`.
    static func syntaxIssue(_ error: any Error, file: String) -> ConfigIssue {
        guard let error = error as? YamlError else {
            return ConfigIssue(file: file, path: "", line: nil, message: "YAML error")
        }
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return ConfigIssue(file: file, path: "", line: mark.line, message: "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return ConfigIssue(file: file, path: "", line: context.mark.line, message: "duplicate key \(keys) in one mapping")
        case .reader(let problem, _, _, _):
            return ConfigIssue(file: file, path: "", line: nil, message: "cannot read the file as YAML: \(problem)")
        default:
            return ConfigIssue(file: file, path: "", line: nil, message: "YAML error")
        }
    }
}
