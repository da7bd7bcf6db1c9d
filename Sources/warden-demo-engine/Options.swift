import ArgumentParser
import Foundation

/// `HOST:PORT` as given to `--listen` and `--broker`.
struct Endpoint: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init?(argument: String) {
        guard let colon = argument.lastIndex(of: ":"),
              let port = Int(argument[argument.index(after: colon)...]),
              (0...65535).contains(port)
        else { return nil }
        var host = String(argument[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    var defaultValueDescription: String { description }
}

/// The command line. Parsing only; `EngineConfig` is the validated result the engine runs with.
struct DemoEngineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden-demo-engine",
        abstract: "A simulated futures-trading engine whose failure modes can be switched on by name.",
        discussion: """
            Faults can also be activated with DEMO_ENGINE_FAULTS=name1,name2 or at run time with \
            POST /admin/faults/{name}. Valid faults: \(Fault.validNames).
            """
    )

    @Option(help: "SQLite database file, created with the schema if missing.")
    var db: String = "demo-engine.sqlite"

    @Option(help: "Status/admin HTTP address; port 0 picks a free port.")
    var listen: Endpoint = Endpoint(host: "127.0.0.1", port: 9781)

    @Option(name: .customLong("fault"), help: "Activate a fault (repeatable).")
    var faults: [String] = []

    @Option(help: "Seconds after startup before the --fault/DEMO_ENGINE_FAULTS faults activate.")
    var faultAfter: Double = 0

    @Option(help: "Simulation step in seconds.")
    var tick: Double = 1

    @Option(help: "Seconds between two trading decisions.")
    var decisionInterval: Double = 5

    @Option(help: "Seconds before a partial take-profit lock row expires.")
    var lockTtl: Int = 30

    @Option(help: "Port of the stand-in broker started when --broker is not given (0 picks a free one).")
    var brokerPort: Int = 0

    @Option(help: "Broker API address; without it a loopback stand-in broker is started.")
    var broker: Endpoint?

    @Option(help: "Random seed, for reproducible runs.")
    var seed: UInt64?

    func validate() throws {
        guard tick > 0, tick.isFinite else { throw ValidationError("--tick must be a positive number of seconds") }
        guard decisionInterval > 0, decisionInterval.isFinite else {
            throw ValidationError("--decision-interval must be a positive number of seconds")
        }
        guard faultAfter >= 0, faultAfter.isFinite else { throw ValidationError("--fault-after must be >= 0") }
    }
}

/// Everything the engine needs, with fault names already resolved.
struct EngineConfig: Sendable {
    var databasePath: String
    var listen: Endpoint
    var broker: Endpoint?
    var tick: Double
    var decisionInterval: Double
    var seed: UInt64
    var initialFaults: [Fault]
    var faultAfter: Double
    var lockSeconds: Int
    var brokerStandInPort: Int

    var tickDuration: Duration { .seconds(tick) }
    var decisionDuration: Duration { .seconds(decisionInterval) }
}

extension EngineConfig {
    /// Parses the command line and the environment; exits 2 on an unknown fault name, like a
    /// usage error the supervisor's configuration must fix, not a crash it should retry.
    static func fromCommandLine(environment: [String: String] = ProcessInfo.processInfo.environment) -> EngineConfig {
        let command = DemoEngineCommand.parseOrExit()
        var names = command.faults.map { ($0, "--fault") }
        if let fromEnv = environment["DEMO_ENGINE_FAULTS"] {
            names += fromEnv.split(separator: ",").map { (String($0), "DEMO_ENGINE_FAULTS") }
        }
        var faults: [Fault] = []
        for (raw, source) in names {
            let name = raw.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            guard let fault = Fault(rawValue: name) else {
                Console.error("warden-demo-engine: unknown fault '\(name)' (from \(source)); valid faults: \(Fault.validNames)")
                exit(2)
            }
            if !faults.contains(fault) { faults.append(fault) }
        }
        return EngineConfig(
            databasePath: command.db,
            listen: command.listen,
            broker: command.broker,
            tick: command.tick,
            decisionInterval: command.decisionInterval,
            seed: command.seed ?? UInt64.random(in: .min ... .max),
            initialFaults: faults,
            faultAfter: command.faultAfter,
            lockSeconds: max(1, command.lockTtl),
            brokerStandInPort: min(max(0, command.brokerPort), 65535)
        )
    }
}
