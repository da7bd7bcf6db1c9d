import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit
import Logging
import ServiceLifecycle

// The built `warden` binary as a child process.

/// A real `warden` process started from the built binary.
final class WardenProcess {
    let process = Process()
    let directory: TempDirectory
    let port: Int
    let logPath: String
    var base: String { "http://127.0.0.1:\(port)" }

    /// `engines` is the YAML list under `engines:`; `extra` adds top-level keys; `launcher` (argv) runs Warden
    /// through another program that ends by exec'ing it (a mount namespace of its own, say).
    convenience init(directory: TempDirectory, engines: String, extra: String = "", environment: [String: String] = [:],
                     launcher: [String] = []) throws {
        let port = freePort()
        let config = Self.writeConfig(directory, port: port, engines: engines, extra: extra)
        try self.init(directory: directory, config: config, port: port, environment: environment, launcher: launcher)
    }

    /// Runs the config file `config` as written; it must listen on 127.0.0.1:`port`.
    init(directory: TempDirectory, config: String, port: Int, environment: [String: String] = [:], launcher: [String] = []) throws {
        self.directory = directory
        self.port = port
        logPath = directory.file("warden.log")
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let argv = launcher + [productsDirectory + "/warden", "run", "--config", config]
        process.executableURL = URL(fileURLWithPath: argv[0])
        process.arguments = Array(argv.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        let log = FileHandle(forWritingAtPath: logPath)!
        process.standardOutput = log
        process.standardError = log
        try process.run()
    }

    private static func writeConfig(_ directory: TempDirectory, port: Int, engines: String, extra: String) -> String {
        directory.write("warden.yml", """
            listen: 127.0.0.1:\(port)
            state_dir: state
            \(extra)
            engines:
            \(engines)
            """)
    }

    /// Writes a new config file in place of the one Warden was started with (same address and state
    /// directory), for a reload to read.
    func rewrite(engines: String, extra: String = "") {
        _ = Self.writeConfig(directory, port: port, engines: engines, extra: extra)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    func waitReady() async throws {
        try await eventually("warden answers /readyz\n\(log)") {
            (try? await http(base + "/readyz").status) == 200
        }
    }

    func metrics() async throws -> String { try await http(base + "/metrics").body }

    func status() async throws -> StatusDocument {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(StatusDocument.self, from: Data(try await http(base + "/api/v1/status").body.utf8))
    }

    func enginePid(_ name: String) async throws -> Int32? {
        try await status().engines.first { $0.name == name }?.pid
    }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the process to exit and returns its status.
    func waitExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        try await eventually(timeout: timeout, "warden exits\n\(log)") { !process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
