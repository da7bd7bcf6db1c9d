import Foundation
import Testing
@testable import WardenKit

/// The dead-man's switch on the real binary, pinging a loopback monitor: pings while all is well, silence
/// while Warden is frozen, pings again when it runs, and the fail URL once an engine is worse than `max_level`.
@Suite(.serialized)
struct HeartbeatTests {
    static let interval = 0.3

    /// The paths of the pings the monitor received, in order.
    static func paths(_ monitor: MisbehavingServer) -> [String] {
        monitor.requests.compactMap { $0.split(separator: " ").dropFirst().first.map(String.init) }
    }

    @Test func aSIGSTOPpedWardenGoesSilentAndAnEngineAboveMaxLevelPingsTheFailURL() async throws {
        let directory = TempDirectory()
        let monitor = try MisbehavingServer(.body(status: 200, "OK"))
        defer { monitor.stop() }
        let secretPath = "/ping/\(UUID().uuidString)"
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "while [ ! -e quit-now ]; do sleep 0.05; done; exit 3"]
                restart: {mode: never}
                health: {evaluate_every: 200ms, escalate_after: 1, startup_grace: 0s}
            """, extra: """
            heartbeat:
              url: {env: WARDEN_HEARTBEAT_URL}
              interval: 300ms
              max_level: degraded
            """, environment: ["WARDEN_HEARTBEAT_URL": "http://127.0.0.1:\(monitor.port)\(secretPath)"])
        try await warden.waitReady()
        try await eventually("three pings arrive\n\(warden.log)") { Self.paths(monitor).filter { $0 == secretPath }.count >= 3 }
        #expect(!Self.paths(monitor).contains(secretPath + "/fail"), "all is well: no failure reported")

        warden.signal(SIGSTOP)
        // A ping already on its way when the signal lands may still arrive; none may start after it.
        let atStop = Self.paths(monitor).count
        try await Task.sleep(for: .seconds(Self.interval * 6))
        let whileStopped = Self.paths(monitor).count - atStop
        warden.signal(SIGCONT)
        #expect(whileStopped <= 1, "a frozen Warden pinged \(whileStopped) times in six intervals")
        let atContinue = Self.paths(monitor).count
        try await eventually("pings resume after SIGCONT\n\(warden.log)") {
            Self.paths(monitor).dropFirst(atContinue).filter { $0 == secretPath }.count >= 2
        }

        _ = directory.write("quit-now", "")
        try await eventually("the engine stopped for good is CRITICAL and the fail URL is pinged\n\(warden.log)") {
            Self.paths(monitor).contains(secretPath + "/fail")
        }
        let afterFail = Self.paths(monitor).count
        try await eventually("the fail URL is pinged again, and the alive URL no more") {
            Self.paths(monitor).dropFirst(afterFail).count >= 2
        }
        #expect(Self.paths(monitor).dropFirst(afterFail).allSatisfy { $0 == secretPath + "/fail" })

        let metrics = try await warden.metrics()
        #expect((metric(metrics, "warden_heartbeat_pings_total{result=\"ok\"}") ?? 0) >= 5)
        #expect(metric(metrics, "warden_heartbeat_pings_total{result=\"failed\"}") == 0)
        #expect((metric(metrics, "warden_heartbeat_last_success_timestamp_seconds") ?? 0) > 0)
        let status = try await http(warden.base + "/api/v1/status").body
        for (place, text) in [("log", warden.log), ("metrics", metrics), ("status", status)] {
            #expect(!text.contains(secretPath), "the ping URL's secret path is in the \(place)")
        }
        #expect(warden.log.contains("engine bot is CRITICAL"), "the log says why the fail URL is pinged")
    }

    @Test func aMonitorThatFailsIsLoggedOncePerStreakAndCounted() async throws {
        let directory = TempDirectory()
        let monitor = try MisbehavingServer(.body(status: 503, "down"))
        defer { monitor.stop() }
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper, extra: """
            heartbeat: {url: "http://127.0.0.1:\(monitor.port)/ping/token-in-path", interval: 300ms, fail_url: false}
            """)
        try await warden.waitReady()
        try await eventually("five pings are refused\n\(warden.log)") {
            (metric(try await warden.metrics(), "warden_heartbeat_pings_total{result=\"failed\"}") ?? 0) >= 5
        }
        let lines = warden.log.components(separatedBy: "\n").filter { $0.contains("heartbeat ping failed") }
        #expect(lines.count == 1, "one line for the streak, not one per ping: \(lines)")
        #expect(lines.first?.contains("HTTP 503") == true)
        #expect(!warden.log.contains("token-in-path"), "the URL is named by its origin only")
        #expect(metric(try await warden.metrics(), "warden_heartbeat_last_success_timestamp_seconds") == 0)
    }
}
