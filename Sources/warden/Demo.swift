import ArgumentParser
import Foundation
import WardenKit

/// `warden demo`: Warden around the bundled demo engine, with a built-in config and a throwaway state
/// directory, so that anyone can see it work in one command.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run Warden around the bundled demo engine until Ctrl-C.",
        discussion: "Faults: \(DemoConfig.faults.joined(separator: ", ")).")

    @Option(help: "Address of Warden's HTTP server.")
    var listen = "127.0.0.1:9780"

    @Option(help: "Switch on one demo-engine fault, so you can watch Warden see it.")
    var fault: String?

    @Option(help: "Seconds after the engine starts before the fault is switched on.")
    var faultAfter: Double = 5

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        if let fault, !DemoConfig.faults.contains(fault) {
            throw ValidationError("unknown fault \"\(fault)\"; choose one of: \(DemoConfig.faults.joined(separator: ", "))")
        }
        guard ListenAddress(parsing: listen) != nil else {
            throw ValidationError("invalid --listen \"\(listen)\": expected host:port")
        }
        guard faultAfter >= 0 else { throw ValidationError("--fault-after must not be negative") }
    }

    func run() async throws {
        let logger = logging.makeLogger()
        let demo = try DemoConfig(listen: ListenAddress(parsing: listen)!, fault: fault, faultAfter: faultAfter)
        var agent = WardenAgent(config: try demo.load(), logger: logger)
        let engineURL = demo.engineURL
        let fault = self.fault
        let faultAfter = self.faultAfter
        let token = demo.adminToken
        agent.onListening = { host, port in
            let base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
            var lines = [
                "",
                "Warden demo is running. Open:",
                "  \(base)/metrics            Prometheus metrics",
                "  \(base)/api/v1/status      engine status (JSON)",
                "  \(engineURL)/status         the demo engine's own status",
                "Restart the engine by hand:",
                "  curl -X POST -H 'Authorization: Bearer \(token)' \(base)/api/v1/engines/demo/restart",
                "State directory (removed on exit): \(demo.stateDirectory)",
            ]
            if let fault { lines.append("Fault \"\(fault)\" switches on \(faultAfter)s after the engine starts.") }
            lines.append("Press Ctrl-C to stop.\n")
            FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        }
        defer { try? FileManager.default.removeItem(atPath: demo.stateDirectory) }
        try await runAgent(agent)
    }
}

/// The demo's built-in config: the config model, written as YAML and read by the same loader as any user's
/// config.
struct DemoConfig {
    static let faults = DemoEngineConfig.faults
    static let tokenVariable = "WARDEN_DEMO_ADMIN_TOKEN"

    let stateDirectory: String
    let engineURL: String
    let adminToken: String
    let file: ConfigFile

    init(listen: ListenAddress, fault: String?, faultAfter: Double) throws {
        let engineExecutable = Self.demoEngineExecutable()
        guard FileManager.default.isExecutableFile(atPath: engineExecutable) else {
            throw ValidationError("the demo engine is missing at \(engineExecutable); build it with `swift build --product warden-demo-engine`")
        }
        stateDirectory = NSTemporaryDirectory() + "warden-demo-\(getpid())"
        // The engine runs in it, and the loader checks that a working directory exists.
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        // Warden on the given port, the engine's status one above, its stand-in broker two above.
        let enginePort = listen.port == 0 ? 0 : listen.port + 1
        let brokerPort = listen.port == 0 ? 0 : listen.port + 2
        engineURL = "http://127.0.0.1:\(enginePort)"
        // A fresh token per run, handed to the loader through the environment like a real deployment would.
        adminToken = (0..<4).map { _ in String(UInt32.random(in: .min ... .max), radix: 16) }.joined()
        setenv(Self.tokenVariable, adminToken, 1)
        var command = [engineExecutable, "--db", "\(stateDirectory)/engine.sqlite", "--listen", "127.0.0.1:\(enginePort)",
                       "--broker-port", "\(brokerPort)"]
        if let fault { command += ["--fault", fault, "--fault-after", "\(faultAfter)"] }
        // On port 0 nothing knows where the engine listens: it is supervised, not watched.
        var engine = ConfigFile.Engine(name: "demo", command: command)
        if enginePort != 0 {
            engine = DemoEngineConfig.engine(command: command, workingDirectory: stateDirectory,
                                             database: "\(stateDirectory)/engine.sqlite", statusURL: "\(engineURL)/status",
                                             brokerPort: brokerPort, pace: .demo)
            // A demo engine stops at once and comes back quickly.
            engine.stop.gracePeriod = .seconds(5)
            engine.restart.maxBackoff = .seconds(30)
        }
        var file = ConfigFile(engines: [engine])
        file.listen = listen
        file.stateDirectory = stateDirectory
        file.adminToken = .environment(Self.tokenVariable)
        self.file = file
    }

    func load() throws -> WardenConfig {
        try ConfigLoader().parse(try file.yaml(), file: "<demo>", baseDirectory: stateDirectory)
    }

    /// The demo engine is built next to `warden` (same products directory, or same install prefix).
    static func demoEngineExecutable() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("warden-demo-engine")
    }
}
