import Foundation
import Testing
@testable import WardenKit

/// Signals that would end Warden by default, and with it every engine mid-order, leave both running.
struct SignalTests {
    @Test(arguments: [SIGHUP, SIGUSR1, SIGUSR2])
    func aSignalThatWouldKillLeavesWardenAndItsEngineRunning(_ signal: Int32) async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "exec sleep 1000"]
            """)
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))
        warden.signal(signal)
        try await eventually("Warden says it received the signal\n\(warden.log)") {
            warden.log.contains(signal == SIGHUP ? "config reloaded: nothing changed" : "received and ignored")
        }
        #expect(warden.process.isRunning)
        #expect((try await http(warden.base + "/readyz")).status == 200)
        #expect(try await warden.enginePid("bot") == engine, "the engine was not touched")
        #expect(kill(engine, 0) == 0)
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0, "SIGTERM still stops Warden gracefully")
    }
}
