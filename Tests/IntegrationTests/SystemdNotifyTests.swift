import Foundation
import Logging
import Testing
@testable import WardenKit

/// A unix datagram socket standing in for systemd's NOTIFY_SOCKET: it keeps every message with its arrival.
final class NotifySocketStandIn: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(message: String, at: ContinuousClock.Instant)] = []
    private var stopped = false

    init(directory: TempDirectory) {
        path = directory.file("notify.sock")
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() where index < buffer.count - 1 { buffer[index] = byte }
        }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !lock.withLock({ stopped }) {
                let count = recv(fd, &buffer, buffer.count, 0)
                if count > 0 {
                    let message = String(decoding: buffer.prefix(count), as: UTF8.self)
                    lock.withLock { received.append((message, .now)) }
                }
            }
            close(fd)
        }.start()
    }

    var messages: [String] { lock.withLock { received.map(\.message) } }

    func count(_ message: String, since: ContinuousClock.Instant = .now - .seconds(3600)) -> Int {
        lock.withLock { received.filter { $0.message == message && $0.at >= since }.count }
    }

    func stop() { lock.withLock { stopped = true } }
}

/// Warden as a `Type=notify` service: systemd hears when it is ready, keeps hearing that it is alive while its
/// loops turn, and hears when it stops.
@Suite(.serialized)
struct SystemdNotifyTests {
    @Test func wardenTellsSystemdItIsReadyAliveAndStopping() async throws {
        let directory = TempDirectory()
        let systemd = NotifySocketStandIn(directory: directory)
        defer { systemd.stop() }
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "exec sleep 1000"]
            """, environment: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "400000"])
        try await eventually("systemd hears READY=1") { systemd.count("READY=1") == 1 }
        #expect((try await http(warden.base + "/readyz")).status == 200, "ready means what /readyz says")
        try await eventually("watchdog pings every 200 ms") { systemd.count("WATCHDOG=1") >= 3 }
        #expect(systemd.messages.first == "READY=1", "no ping before READY=1")

        // A stopped Warden pings nobody: systemd's watchdog (or a dead-man's switch) notices.
        warden.signal(SIGSTOP)
        try await Task.sleep(for: .milliseconds(300))
        let frozen = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        #expect(systemd.count("WATCHDOG=1", since: frozen) == 0)
        warden.signal(SIGCONT)
        let thawed = ContinuousClock.now
        try await eventually("pings resume") { systemd.count("WATCHDOG=1", since: thawed) >= 2 }

        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
        #expect(systemd.messages.contains("STOPPING=1"))
        #expect(systemd.count("READY=1") == 1)
    }

    /// A judge that stops turning stops the pings although the process is alive and its other loops run.
    @Test func aStuckLoopStopsThePings() async throws {
        let directory = TempDirectory()
        let systemd = NotifySocketStandIn(directory: directory)
        defer { systemd.stop() }
        let liveness = Liveness()
        liveness.register("health bot", period: .milliseconds(100))
        liveness.register("supervisor bot", nudge: { liveness.beat("supervisor bot") })
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": systemd.path, "WATCHDOG_USEC": "200000"],
                                       liveness: liveness, logger: Logger(label: "test"), ready: { true })
        let task = Task { await notifier.run() }
        defer { task.cancel() }
        // The judge turns for a while, then is stuck: pings go on, then stop once it is overdue.
        let beating = Task {
            for _ in 0..<10 {
                liveness.beat("health bot")
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        try await eventually("pings while every loop turns") { systemd.count("WATCHDOG=1") >= 3 }
        await beating.value
        // Overdue after two periods and the grace (5.2 s); give it a little more, then no ping may arrive.
        try await Task.sleep(for: Liveness.grace + .milliseconds(800))
        let stuck = ContinuousClock.now
        try await Task.sleep(for: .seconds(1))
        #expect(systemd.count("WATCHDOG=1", since: stuck) == 0, "a stuck judge is no living Warden")
        #expect(liveness.stalled() == ["health bot"])
        liveness.beat("health bot")
        let recovered = ContinuousClock.now
        try await eventually("pings resume when the loop turns again") { systemd.count("WATCHDOG=1", since: recovered) >= 1 }
    }

    @Test func anUnansweredNudgeIsAStall() {
        let liveness = Liveness()
        liveness.register("supervisor bot", nudge: {})
        let start = ContinuousClock.now
        liveness.nudgeAll(at: start)
        #expect(liveness.stalled(at: start + .seconds(1)).isEmpty, "within the grace")
        #expect(liveness.stalled(at: start + Liveness.grace + .seconds(1)) == ["supervisor bot"])
        liveness.beat("supervisor bot")
        #expect(liveness.stalled(at: .now + .seconds(1)).isEmpty, "answered")
        liveness.retire("supervisor bot")
        liveness.nudgeAll()
        #expect(liveness.stalled(at: .now + .seconds(60)).isEmpty, "a retired loop is not watched")
    }
}
