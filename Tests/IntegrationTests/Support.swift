import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit

/// A directory that exists for one test.
final class TempDirectory {
    let path: String

    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("warden-it-\(safe)-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) -> String {
        let target = file(name)
        try! text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The products directory of this build (`warden` and `warden-demo-engine` sit next to the test bundle).
let productsDirectory: String = {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = (me as NSString).deletingLastPathComponent
    // `swift test` runs .build/<triple>/debug/<Package>PackageTests.xctest
    if !FileManager.default.fileExists(atPath: directory + "/warden"), directory.hasSuffix(".xctest") {
        directory = (directory as NSString).deletingLastPathComponent
    }
    return directory
}()

/// Polls `condition` until it holds or `timeout` passes. Tests wait on observable outcomes, never on sleeps.
/// `what` is evaluated only on failure, so it may quote a log as it is by then.
func eventually(timeout: Duration = .seconds(10), _ what: @autoclosure () -> String,
                _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(25))
    }
    Issue.record("timed out after \(timeout) waiting until \(what())")
    throw TimedOut()
}

struct TimedOut: Error {}

/// True when no live process has this pid (a zombie awaiting its reaper counts as gone).
func isGone(_ pid: Int32) -> Bool {
    guard kill(pid, 0) == 0 else { return true }
    let stat = ProcSystem.read("/proc/\(pid)/stat").flatMap(ProcStat.parse)
    return stat == nil || stat?.state == "Z" || stat?.state == "X"
}

/// A TCP socket bound to a loopback port (a free one unless given; listening when asked), and that port.
func boundLoopbackSocket(listening: Bool = false, port: Int = 0) -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var reuse: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    if listening { listen(fd, 1) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A port P with P+1 and P+2 free too, for `warden demo` (engine on P+1, stand-in broker on P+2): other tests
/// pick random ports at the same time, and a demo engine whose port is taken exits at once.
func freePortRun() -> Int {
    for _ in 0..<50 {
        let (first, port) = boundLoopbackSocket()
        guard port < 65533 else { close(first); continue }
        let next = [boundLoopbackSocket(port: port + 1), boundLoopbackSocket(port: port + 2)]
        let ok = next[0].port == port + 1 && next[1].port == port + 2
        ([first] + next.map(\.fd)).forEach { close($0) }
        if ok { return port }
    }
    return freePort()
}

/// Runs a program to its end and returns its exit status and its interleaved stdout and stderr.
func runToEnd(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func freePort() -> Int {
    let (fd, port) = boundLoopbackSocket()
    close(fd)
    return port
}

struct HTTPResult {
    var status: Int
    var body: String
    var headers: [String: String]
}

func http(_ url: String, method: String = "GET", token: String? = nil, body: String? = nil,
          timeout: Double = 5) async throws -> HTTPResult {
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
    request.httpMethod = method
    request.httpBody = body.map { Data($0.utf8) }
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var headers: [String: String] = [:]
    for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
    return HTTPResult(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: headers)
}

/// The value of one sample in an exposition text, e.g. `warden_engine_up{engine="bot"}`.
func metric(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

/// The demo engine at test speed (0.2 s ticks, 2 s lock expiry) with every probe, log rule and check Warden
/// has: `warden demo`'s own configuration, faster. `brokerPort` is the test's `BrokerStandIn`.
func demoEngine(directory: TempDirectory, enginePort: Int, brokerPort: Int) -> ConfigFile.Engine {
    DemoEngineConfig.engine(
        command: [productsDirectory + "/warden-demo-engine", "--db", "engine.sqlite", "--listen", "127.0.0.1:\(enginePort)",
                  "--broker", "127.0.0.1:\(brokerPort)", "--seed", "42"] + DemoEngineConfig.Pace.fastEngineFlags,
        workingDirectory: directory.path, database: directory.file("engine.sqlite"),
        statusURL: "http://127.0.0.1:\(enginePort)/status", brokerPort: brokerPort, pace: .fast)
}

/// A running Warden around the demo engine (`demoEngine`) with a stand-in broker, ready to scrape.
struct DemoWarden {
    let directory: TempDirectory
    let warden: WardenProcess
    let broker: BrokerStandIn
    let enginePort: Int

    /// `extra` adds top-level config keys; `edit` may change the engine's config (to break an action on purpose).
    static func start(_ name: String = #function, extra: String = "", environment: [String: String] = [:],
                      edit: (inout ConfigFile.Engine) -> Void = { _ in }) async throws -> DemoWarden {
        await DemoSlots.shared.acquire()
        let directory = TempDirectory(name)
        let enginePort = freePort()
        let brokerPort = freePort()
        let broker = try BrokerStandIn(port: brokerPort)
        var engine = demoEngine(directory: directory, enginePort: enginePort, brokerPort: brokerPort)
        edit(&engine)
        let engines = try ConfigFile.engineEntries([engine])
        let warden = try WardenProcess(directory: directory, engines: engines, extra: extra, environment: environment)
        let demo = DemoWarden(directory: directory, warden: warden, broker: broker, enginePort: enginePort)
        do {
            try await warden.waitReady()
        } catch {
            demo.stop()
            throw error
        }
        return demo
    }

    func stop() {
        broker.stop()
        warden.signal(SIGKILL)
        DemoSlots.shared.release()
    }

    var engineBase: String { "http://127.0.0.1:\(enginePort)" }

    /// Switches a fault in whichever engine process runs now; a policy may be restarting it, so a refused
    /// connection is tried again for a while.
    func fault(_ name: String, on: Bool = true) async throws {
        var status: Int?
        try await eventually(timeout: .seconds(15), "the engine takes \(name) \(on ? "on" : "off")\n\(warden.log.suffix(4000))") {
            status = try? await http(engineBase + "/admin/faults/\(name)", method: on ? "POST" : "DELETE").status
            return status != nil
        }
        #expect(status == 200, "switching \(name) \(on ? "on" : "off")")
    }

    /// The demo engine's judged state, as `/api/v1/status` shows it.
    func engine() async throws -> StatusDocument.Engine {
        try #require(try await warden.status().engines.first { $0.name == "demo" })
    }

    func component(_ name: String) async throws -> StatusDocument.Component? {
        try await engine().health.components[name]
    }

    /// Waits until `component` has been judged (it has findings) at `level`, and returns its state then.
    @discardableResult
    func waitFor(_ component: String, _ level: HealthLevel, timeout: Duration = .seconds(30)) async throws -> StatusDocument.Component {
        var state: StatusDocument.Component?
        try await eventually(timeout: timeout, "\(component) reaches \(level.name)\n\(warden.log.suffix(3000))") {
            state = try await self.component(component)
            return state?.level == level && state?.findings.isEmpty == false
        }
        return state!
    }

    /// Waits until the audit shows an action of `kind` with `result`, and returns it.
    @discardableResult
    func waitForAction(_ kind: String, _ result: ActionResult, timeout: Duration = .seconds(30)) async throws -> AuditEntry {
        var found: AuditEntry?
        try await eventually(timeout: timeout, "a \(kind) action ends \(result.rawValue)\n\(warden.log.suffix(3000))") {
            found = try await engine().remediation.recent.first { $0.action == kind && $0.result == result }
            return found != nil
        }
        return found!
    }
}

/// At most four demos (Warden, engine, broker) at once: on two cores, more starve the engines, and their
/// decisions and probes go late for reasons that have nothing to do with what a test checks.
final class DemoSlots: Sendable {
    static let shared = DemoSlots(4)
    private let state: Mutex<(free: Int, waiting: [CheckedContinuation<Void, Never>])>

    init(_ slots: Int) { state = Mutex((slots, [])) }

    func acquire() async {
        await withCheckedContinuation { continuation in
            let granted = state.withLock { state -> Bool in
                guard state.free > 0 else {
                    state.waiting.append(continuation)
                    return false
                }
                state.free -= 1
                return true
            }
            if granted { continuation.resume() }
        }
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.free += 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}

/// A real `warden` process started from the built binary.
final class WardenProcess {
    let process = Process()
    let directory: TempDirectory
    let port: Int
    let logPath: String
    var base: String { "http://127.0.0.1:\(port)" }

    /// `engines` is the YAML list under `engines:`; `extra` adds top-level keys; `launcher` (argv) runs Warden
    /// through another program that ends by exec'ing it (a mount namespace of its own, say).
    init(directory: TempDirectory, engines: String, extra: String = "", environment: [String: String] = [:],
         launcher: [String] = []) throws {
        self.directory = directory
        port = freePort()
        let config = directory.write("warden.yml", """
            listen: 127.0.0.1:\(port)
            state_dir: state
            \(extra)
            engines:
            \(engines)
            """)
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

/// Runs one engine supervisor in-process inside a ServiceGroup, as Warden does, for tests that need to see
/// the board and the store directly.
final class SupervisedEngine: @unchecked Sendable {
    let config: EngineConfig
    let board: StatusBoard
    let store: WardenStore
    let supervisor: EngineSupervisor
    private let task: Task<Void, Error>
    private let group: ServiceGroupHandle

    init(directory: TempDirectory, yaml: String) throws {
        let loaded = try ConfigLoader().parse("state_dir: state\nengines:\n" + yaml, file: "test.yml", baseDirectory: directory.path)
        config = loaded.engines[0]
        try FileManager.default.createDirectory(atPath: loaded.stateDirectory, withIntermediateDirectories: true)
        board = StatusBoard(engines: loaded.engines)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        store = try WardenStore(path: loaded.stateDirectory + "/warden.sqlite", logger: logger)
        supervisor = EngineSupervisor(config: config, board: board, history: store, orphanGuard: nil, logger: logger)
        let group = ServiceGroup(services: [supervisor], logger: logger)
        self.group = ServiceGroupHandle(group: group)
        task = Task { try await group.run() }
    }

    var status: EngineStatus { board.status(of: config.name)! }

    /// Graceful shutdown, as on SIGTERM; returns when the supervisor has finished.
    func stop() async throws {
        await group.group.triggerGracefulShutdown()
        try await task.value
    }

    deinit { task.cancel() }
}

struct ServiceGroupHandle: @unchecked Sendable { let group: ServiceGroup }

import Logging
import ServiceLifecycle
