import Foundation
import WardenKit

/// The config file: YAML of any shape. It is either a config or a list of issues, each of which names the
/// file, and, for a key, its path.
enum ConfigFuzz {
    static let file = "fuzz.yml"
    /// Relative paths resolve here. The loader checks that directories and commands exist; it reads no file
    /// (secrets are read at start, not here).
    static let baseDirectory = "/"
    static var loader: ConfigLoader { ConfigLoader(environment: ["PATH": "/usr/bin:/bin", "WARDEN_ADMIN_TOKEN": "fuzz-token"]) }

    static func run(_ bytes: [UInt8]) -> FuzzVerdict {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            let config = try loader.parse(text, file: file, baseDirectory: baseDirectory)
            let names = config.engines.map(\.name)
            promise(Set(names).count == names.count, "two engines share a name: \(names)")
            promise(config.stateDirectory.hasPrefix("/"), "the state directory is not absolute: \(config.stateDirectory)")
            for engine in config.engines {
                switch engine.launch {
                case .command(let argv, let executable):
                    promise(!argv.isEmpty && executable.hasPrefix("/"), "engine \(engine.name) has no command to run: \(argv)")
                case .attach(let attachment):
                    if case .pidfile(let path) = attachment.target {
                        promise(path.hasPrefix("/"), "engine \(engine.name)'s pidfile is relative")
                    }
                }
                promise(engine.workingDirectory.hasPrefix("/"), "engine \(engine.name)'s working directory is relative")
            }
            return .accepted
        } catch {
            promise(!error.issues.isEmpty, "a ConfigError without issues")
            for issue in error.issues {
                promise(issue.file == file, "an issue names another file: \(issue)")
                promise(!issue.message.isEmpty, "an issue without a message at \(issue.path)")
            }
            return .rejected(error.description)
        }
    }
}
