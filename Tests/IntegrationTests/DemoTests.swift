import Foundation
import GRDB
import Testing
@testable import WardenKit

/// `warden demo` and the demo engine's contract, which the later probes and checks rely on.
@Suite(.serialized)
struct DemoTests {
    /// Starts `warden demo` on a free port with one fault.
    final class DemoRun {
        let process = Process()
        let base: String
        let output = TempDirectory("demo")

        /// Takes one of the demo slots (see `DemoSlots`) for as long as it lives.
        static func start(fault: String, after: Double) async throws -> DemoRun {
            await DemoSlots.shared.acquire()
            do {
                return try DemoRun(fault: fault, after: after)
            } catch {
                DemoSlots.shared.release()
                throw error
            }
        }

        private init(fault: String, after: Double) throws {
            let port = freePortRun()
            base = "http://127.0.0.1:\(port)"
            process.executableURL = URL(fileURLWithPath: productsDirectory + "/warden")
            process.arguments = ["demo", "--listen", "127.0.0.1:\(port)", "--fault", fault, "--fault-after", "\(after)"]
            let log = output.file("demo.log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            process.standardOutput = FileHandle(forWritingAtPath: log)
            process.standardError = FileHandle(forWritingAtPath: log)
            try process.run()
        }

        var log: String { output.read("demo.log") ?? "" }

        func metric(_ series: String) async -> Double? {
            guard let body = try? await http(base + "/metrics").body else { return nil }
            return IntegrationTests.metric(body, series)
        }

        func stop() async throws -> Int32 {
            kill(process.processIdentifier, SIGINT)
            try await eventually(timeout: .seconds(15), "the demo exits") { !process.isRunning }
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            DemoSlots.shared.release()
        }
    }

    @Test func theDemoShowsACrashAsARestart() async throws {
        let demo = try await DemoRun.start(fault: "crash", after: 0.5)
        try await eventually(timeout: .seconds(20), "a restart after the crash is counted\n\(demo.log.suffix(3000))") {
            (await demo.metric("warden_engine_restarts_total{engine=\"demo\",reason=\"exit\"}") ?? 0) >= 1
        }
        #expect(demo.log.contains("Warden demo is running. Open:"))
        #expect(demo.log.contains("/metrics"))
        #expect(demo.log.contains("exited with status 1"))
        #expect(try await demo.stop() == 0, "Ctrl-C stops the demo cleanly")
    }

    @Test func theDemoKnowsEveryFaultOfTheDemoEngine() throws {
        let (status, text) = try runToEnd(productsDirectory + "/warden-demo-engine", ["--fault", "no_such_fault"])
        #expect(status == 2)
        let listed = try #require(text.components(separatedBy: "valid faults: ").last?.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(Set(listed.components(separatedBy: ", ")) == Set(DemoEngineConfig.faults))
    }

    @Test func theDemoWatchesTheTradingToo() async throws {
        let demo = try await DemoRun.start(fault: "drop_monitoring", after: 2)
        try await eventually(timeout: .seconds(20), "the demo engine's positions are watched\n\(demo.log.suffix(3000))") {
            let open = await demo.metric("warden_open_positions{engine=\"demo\"}") ?? 0
            let connections = await demo.metric("warden_engine_connections{engine=\"demo\",endpoint=\"broker\"}") ?? 0
            return open > 0 && connections >= 2
        }
        try await eventually(timeout: .seconds(20), "dropped monitoring shows as a mismatch") {
            (await demo.metric("warden_monitor_mismatch{engine=\"demo\"}") ?? 0) >= 3
        }
        // And the demo does what the lost-monitors incident's author did by hand: it re-arms the monitoring.
        try await eventually(timeout: .seconds(30), "the demo re-arms the monitoring\n\(demo.log.suffix(3000))") {
            (await demo.metric("warden_remediations_total{engine=\"demo\",action=\"http\",result=\"success\"}") ?? 0) >= 1
        }
        #expect(try await demo.stop() == 0)
    }

    @Test func theDemoShowsAMemoryLeak() async throws {
        let demo = try await DemoRun.start(fault: "leak_memory", after: 0.5)
        var baseline = 0.0
        try await eventually(timeout: .seconds(15), "the engine's memory is sampled\n\(demo.log.suffix(3000))") {
            baseline = await demo.metric("warden_engine_resident_memory_bytes{engine=\"demo\"}") ?? 0
            return baseline > 0
        }
        try await eventually(timeout: .seconds(20), "the engine's memory grows by 30 MB") {
            (await demo.metric("warden_engine_resident_memory_bytes{engine=\"demo\"}") ?? 0) > baseline + 30e6
        }
        #expect(try await demo.stop() == 0)
    }

    @Test func theDemoEngineKeepsTheIncidentSchemasAndItsFaultsShowInThem() async throws {
        let directory = TempDirectory()
        let port = freePort()
        let engine = Process()
        engine.executableURL = URL(fileURLWithPath: productsDirectory + "/warden-demo-engine")
        engine.arguments = ["--db", directory.file("engine.sqlite"), "--listen", "127.0.0.1:\(port)",
                            "--tick", "0.1", "--decision-interval", "0.2", "--seed", "7"]
        let out = Pipe()
        engine.standardOutput = out
        engine.standardError = FileHandle.nullDevice
        try engine.run()
        defer { if engine.isRunning { kill(engine.processIdentifier, SIGKILL) } }
        let base = "http://127.0.0.1:\(port)"
        try await eventually("the engine answers") { (try? await http(base + "/health").status) == 200 }

        let db = try DatabaseQueue(path: directory.file("engine.sqlite"), configuration: {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(5)
            return configuration
        }())
        func count(_ sql: String) throws -> Int { try db.read { try Int.fetchOne($0, sql: sql) ?? -1 } }

        try await eventually("positions are open and monitored") {
            let status = try await Self.status(base)
            return (status["monitored_positions"] as? Int ?? 0) >= 3
        }
        #expect(try count("SELECT COUNT(*) FROM futures_positions WHERE status = 'open'") >= 3)
        #expect(try count("""
            SELECT COUNT(*) FROM futures_positions p WHERE p.status = 'open'
            AND NOT EXISTS (SELECT 1 FROM position_stops s WHERE s.position_id = p.id AND s.status = 'active')
            """) == 0, "healthy: every open position has a stop")
        for table in ["system_config", "partial_take_profit_history", "smart_exit_restart_log"] {
            #expect(try count("SELECT COUNT(*) FROM \(table)") >= 0)
        }

        // Lost monitors: the monitoring tasks vanish, the positions stay open.
        _ = try await http(base + "/admin/faults/drop_monitoring", method: "POST")
        try await eventually("monitoring is gone while positions stay open") {
            let status = try await Self.status(base)
            return status["monitored_positions"] as? Int == 0 && (status["open_positions"] as? Int ?? 0) > 0
        }
        try await eventually(timeout: .seconds(15), "positions are past their planned close") {
            try count("SELECT COUNT(*) FROM futures_positions WHERE status = 'open' AND planned_close_time < datetime('now')") > 0
        }
        let rearm = try await http(base + "/admin/rearm-monitoring", method: "POST")
        #expect(rearm.status == 200)
        #expect(rearm.body.contains("\"rearmed\""))
        #expect(try count("SELECT COUNT(*) FROM smart_exit_restart_log") == 1)
        try await eventually("re-armed monitoring closes the overdue positions") {
            try count("SELECT COUNT(*) FROM futures_positions WHERE status = 'open' AND planned_close_time < datetime('now', '-1 second')") == 0
        }

        // Unprotected positions: positions without stops.
        _ = try await http(base + "/admin/faults/remove_stops", method: "POST")
        try await eventually("open positions lose their stops") {
            try count("""
                SELECT COUNT(*) FROM futures_positions p WHERE p.status = 'open'
                AND NOT EXISTS (SELECT 1 FROM position_stops s WHERE s.position_id = p.id AND s.status = 'active')
                """) > 0
        }
        #expect(try await http(base + "/admin/faults/no_such_fault", method: "POST").status == 404)

        kill(engine.processIdentifier, SIGTERM)
        try await eventually("the engine exits on SIGTERM") { !engine.isRunning }
        #expect(engine.terminationStatus == 0)
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(printed.contains("DECISION "), "decisions are printed for the log heartbeat that catches a silent loop")
    }

    static func status(_ base: String) async throws -> [String: Any] {
        let body = try await http(base + "/status").body
        return try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] ?? [:]
    }
}
