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

/// The demo's built-in config, written as YAML and read by the same loader as any user's config.
struct DemoConfig {
    static let faults = DemoEngineConfig.faults
    static let tokenVariable = "WARDEN_DEMO_ADMIN_TOKEN"

    let stateDirectory: String
    let engineURL: String
    let adminToken: String
    let yaml: String

    init(listen: ListenAddress, fault: String?, faultAfter: Double) throws {
        let engine = Self.demoEngineExecutable()
        guard FileManager.default.isExecutableFile(atPath: engine) else {
            throw ValidationError("the demo engine is missing at \(engine); build it with `swift build --product warden-demo-engine`")
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
        var command = [engine, "--db", "\(stateDirectory)/engine.sqlite", "--listen", "127.0.0.1:\(enginePort)",
                       "--broker-port", "\(brokerPort)"]
        if let fault { command += ["--fault", fault, "--fault-after", "\(faultAfter)"] }
        let engineEntry = enginePort == 0
            ? "  - name: demo\n    command: [\(command.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            : DemoEngineConfig.yaml(command: command, workingDirectory: stateDirectory, database: "\(stateDirectory)/engine.sqlite",
                                    statusURL: "\(engineURL)/status", brokerPort: brokerPort, pace: .demo,
                                    extra: """

                                        stop: {signal: SIGTERM, grace_period: 5s}
                                        restart: {initial_backoff: 1s, max_backoff: 30s, budget: 10, budget_window: 1h}
                                    """)
        yaml = """
            listen: "\(listen)"
            state_dir: "\(stateDirectory)"
            admin_token: {env: \(Self.tokenVariable)}
            engines:
            \(engineEntry)
            """
    }

    func load() throws -> WardenConfig {
        try ConfigLoader().parse(yaml, file: "<demo>", baseDirectory: stateDirectory)
    }

    /// The demo engine is built next to `warden` (same products directory, or same install prefix).
    static func demoEngineExecutable() -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent("warden-demo-engine")
    }
}
