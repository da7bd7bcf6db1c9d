import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit
import Logging
import ServiceLifecycle

// Warden around the demo engine, as `warden demo` runs it, at test speed.

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
    /// The engine's config as Warden was started with it, for a test that rewrites the file and reloads.
    let engine: ConfigFile.Engine

    /// `extra` adds top-level config keys; `edit` may change the engine's config (to break an action on purpose).
    static func start(_ name: String = #function, extra: String = "", environment: [String: String] = [:],
                      edit: (inout ConfigFile.Engine) async throws -> Void = { _ in }) async throws -> DemoWarden {
        await DemoSlots.shared.acquire()
        let directory = TempDirectory(name)
        let enginePort = freePort()
        let brokerPort = freePort()
        let broker = try BrokerStandIn(port: brokerPort)
        var engine = demoEngine(directory: directory, enginePort: enginePort, brokerPort: brokerPort)
        do {
            try await edit(&engine)
        } catch {
            broker.stop()
            DemoSlots.shared.release()
            throw error
        }
        let engines = try ConfigFile.engineEntries([engine])
        let warden = try WardenProcess(directory: directory, engines: engines, extra: extra, environment: environment)
        let demo = DemoWarden(directory: directory, warden: warden, broker: broker, enginePort: enginePort, engine: engine)
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
