import ArgumentParser
import Foundation
import Logging
import WardenKit

@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Supervises trading engines, watches for their silent failures and exposes Prometheus metrics.",
        version: WardenVersion.current,
        subcommands: [Run.self, CheckConfig.self, Demo.self, MaintenanceCommand.self, Version.self])
}

struct LoggingOptions: ParsableArguments {
    @Option(help: "Log level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func makeLogger() -> Logger {
        let level = logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "warden")
        logger.logLevel = level
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run Warden with a config file.")

    @Option(name: .shortAndLong, help: "Path of the YAML config file.")
    var config: String

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let loaded: (model: ConfigFile, config: WardenConfig)
        do {
            loaded = try ConfigLoader().read(file: config)
        } catch {
            FileHandle.standardError.write(Data("warden: invalid config\n\(error.description)\n".utf8))
            throw ExitCode(2)
        }
        try await runAgent(WardenAgent(config: loaded.config, logger: logging.makeLogger(), source: (config, loaded.model)))
    }
}

/// Runs the agent and turns a startup failure into one clear line and exit status 1.
func runAgent(_ agent: WardenAgent) async throws {
    do {
        try await agent.run()
    } catch {
        FileHandle.standardError.write(Data("warden: \(error)\n".utf8))
        throw ExitCode.failure
    }
}

struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a config file and list every problem with its line (exit status 1 when invalid), then "
            + "anything worth a look in a valid one (a secret file every user can read).")

    @Argument(help: "Path of the YAML config file.")
    var file: String

    func run() throws {
        print("Checking \(file)")
        do {
            let config = try ConfigLoader().load(file: file)
            if config.engines.isEmpty {
                print("  SUCCESS: no engines yet: Warden serves its status and metrics and watches nothing until one is added")
            } else {
                print("  SUCCESS: \(config.engines.count) engine(s): \(config.engines.map(\.name).joined(separator: ", "))")
            }
            for warning in config.warnings { print("  WARNING: \(warning)") }
        } catch {
            print("  FAILED: \(error.issues.count) problem(s)")
            for issue in error.issues { print("  \(issue)") }
            throw ExitCode.failure
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Warden's version, the git revision it was built from and when.")

    func run() {
        print(WardenVersion.description)
    }
}

struct MaintenanceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "maintenance",
        abstract: "Begin (or with --end, end) maintenance of an engine on the running Warden of a config file: "
            + "Warden keeps observing, takes no remediation and sends no level alerts for it.")

    @Option(name: .shortAndLong, help: "Path of the YAML config file the running Warden was started with.")
    var config: String

    @Argument(help: "The engine's name.")
    var engine: String

    @Option(name: .customLong("for"), help: "How long, such as 30m or 2h; without it, until --end.")
    var duration: String?

    @Option(help: "What is being done, said on every alert channel.")
    var reason: String?

    @Flag(help: "End the engine's maintenance now.")
    var end = false

    func run() async throws {
        let loaded: WardenConfig
        do {
            loaded = try ConfigLoader().load(file: config)
        } catch {
            FileHandle.standardError.write(Data("warden: invalid config\n\(error.description)\n".utf8))
            throw ExitCode(2)
        }
        do {
            print(try await MaintenanceClient.request(loaded, engine: engine, duration: duration, reason: reason, end: end))
        } catch {
            FileHandle.standardError.write(Data("warden: \(error.description)\n".utf8))
            throw ExitCode.failure
        }
    }
}
