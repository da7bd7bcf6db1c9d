import Foundation
import Testing
@testable import WardenKit

struct StoreTests {
    @Test func historySurvivesReopeningAndRebuildsTheBudget() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-store-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/warden.sqlite"
        do {
            let store = try WardenStore(path: path, logger: .init(label: "test"))
            await store.append(engine: "bot", record: .started(pid: 10, reason: nil), at: 100)
            await store.append(engine: "bot", record: .exited(pid: 10, status: .signaled(.kill), ranFor: 5, clean: false), at: 105)
            await store.append(engine: "bot", record: .restartScheduled(reason: .signal, delay: 1, attempt: 0), at: 105)
            await store.append(engine: "bot", record: .started(pid: 11, reason: .signal), at: 106)
            await store.append(engine: "bot", record: .started(pid: 12, reason: .manual), at: 200)
            await store.append(engine: "other", record: .restartScheduled(reason: .exit, delay: 0, attempt: 0), at: 150)
        }
        let reopened = try WardenStore(path: path, logger: .init(label: "test"))
        #expect(await reopened.restartTimes(engine: "bot", since: 0) == [105, 200])
        #expect(await reopened.restartTimes(engine: "bot", since: 150) == [200])
        await reopened.append(engine: "bot", record: .budgetReset, at: 210)
        #expect(await reopened.restartTimes(engine: "bot", since: 0).isEmpty)
        let events = try reopened.recentEvents(engine: "bot", limit: 10)
        #expect(events.first?.kind == "budget_reset")
        #expect(events.contains { $0.kind == "exit" && $0.signal == 9 && $0.pid == 10 })
        #expect(try reopened.integrityCheck() == "ok")
    }

    @Test func anUnopenableDatabaseIsAClearError() {
        #expect {
            try WardenStore(path: "/proc/warden-cannot-be-here/warden.sqlite", logger: .init(label: "test"))
        } throws: { error in
            "\(error)".hasPrefix("cannot open Warden's database at /proc/warden-cannot-be-here/warden.sqlite")
        }
    }
}
