import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing
@testable import WardenKit

/// Reloading the config (SIGHUP, `POST /-/reload`) with a running Warden: a bad file changes nothing, a good
/// one disturbs only what it changed.
@Suite(.serialized)
struct ReloadTests {
    static let token = "reload-admin-token"
    static let extra = """
        admin_token: {env: WARDEN_RELOAD_TOKEN}
        alerts: {channels: [{name: log, log: {}}]}
        """
    static let environment = ["WARDEN_RELOAD_TOKEN": token]

    static func sleeper(_ name: String, env: String = "A") -> String {
        """
          - name: \(name)
            command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]
            env: {MARK: "\(env)"}
        """
    }

    struct Answer: Decodable {
        var applied: Bool
        var summary: String
        var problems: [String]
        var warnings: [String]
    }

    static func reload(_ warden: WardenProcess) async throws -> (status: Int, answer: Answer) {
        let response = try await http(warden.base + "/-/reload", method: "POST", token: token)
        return (response.status, try JSONDecoder().decode(Answer.self, from: Data(response.body.utf8)))
    }

    @Test func aBadFileIsRefusedWithEveryProblemAtItsLineAndTheRunningConfigStays() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: Self.sleeper("bot"), extra: Self.extra,
                                       environment: Self.environment)
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))
        let loadedAt = try #require(metric(try await warden.metrics(), "warden_config_last_reload_success_timestamp_seconds"))
        #expect(metric(try await warden.metrics(), "warden_config_last_reload_successful") == 1)

        warden.rewrite(engines: Self.sleeper("bot", env: "B") + """

                sampling_interval: often
                colour: red
            """, extra: Self.extra)
        let refused = try await Self.reload(warden)
        #expect(refused.status == 422)
        #expect(!refused.answer.applied)
        let file = directory.file("warden.yml")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        func line(of text: String) -> Int { (lines.firstIndex { $0.contains(text) } ?? -2) + 1 }
        #expect(refused.answer.problems.count == 2, "\(refused.answer.problems)")
        #expect(refused.answer.problems.first?.hasPrefix("\(file):\(line(of: "often")): engines[0].sampling_interval") == true,
                "\(refused.answer.problems)")
        #expect(refused.answer.problems.last?.hasPrefix("\(file):\(line(of: "colour")): engines[0].colour") == true,
                "\(refused.answer.problems)")
        let metrics = try await warden.metrics()
        #expect(metric(metrics, "warden_config_last_reload_successful") == 0)
        #expect(metric(metrics, "warden_config_last_reload_success_timestamp_seconds") == loadedAt)
        #expect(try await warden.enginePid("bot") == engine, "nothing of the bad file was applied")
        try await eventually("the refusal is alerted with its reason") {
            warden.log.contains("config reload refused (\(file)): \(file):\(line(of: "often"))")
        }

        // Fixed, and sent by SIGHUP: applied, and only the changed environment restarts the engine.
        warden.rewrite(engines: Self.sleeper("bot", env: "B"), extra: Self.extra)
        warden.signal(SIGHUP)
        try await eventually("the fixed file is applied") {
            metric(try await warden.metrics(), "warden_config_last_reload_successful") == 1
        }
        let after = try await warden.metrics()
        #expect((metric(after, "warden_config_last_reload_success_timestamp_seconds") ?? 0) > loadedAt)
        try await eventually("the engine runs with its new environment") {
            guard let pid = try await warden.enginePid("bot"), pid != engine else { return false }
            return (try? String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8))?.contains("MARK=B") == true
        }
        #expect(metric(try await warden.metrics(), #"warden_engine_restarts_total{engine="bot",reason="config"}"#) == 1)
        #expect(warden.log.contains("config reloaded: restarted: bot"))
    }

    /// An engine the file switches from `command` to `attach` goes on as Warden's child until Warden restarts:
    /// the reload says so, and a crash is still repaired by Warden.
    @Test func anEngineSwitchedToAttachStaysWardensChildUntilWardenRestarts() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: Self.sleeper("bot"), extra: Self.extra,
                                       environment: Self.environment)
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))
        warden.rewrite(engines: """
              - name: bot
                attach: {pidfile: \(directory.file("bot.pid"))}
            """, extra: Self.extra)
        let applied = try await Self.reload(warden)
        #expect(applied.status == 200 && applied.answer.summary == "waiting for a restart of Warden: engines[bot]: command or attach",
                "\(applied.answer)")
        kill(engine, SIGKILL)
        try await eventually("Warden starts the engine again") {
            guard let pid = try await warden.enginePid("bot") else { return false }
            return pid != engine
        }
        #expect(metric(try await warden.metrics(), #"warden_engine_restarts_total{engine="bot",reason="signal"}"#) == 1)
        let status = try await warden.status()
        #expect(status.engines.first?.attachment == nil, "still started by Warden, not attached")
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
    }

    @Test func onlyWhatChangedIsDisturbed() async throws {
        let directory = TempDirectory()
        let heartbeat = directory.write("beat", "")
        let watched = """
                probes:
                  - {name: beat, heartbeat_file: {path: \(heartbeat)}, interval: 200ms}
            """
        let warden = try WardenProcess(directory: directory,
                                       engines: [Self.sleeper("relaunched"), Self.sleeper("rewatched"), Self.sleeper("kept"),
                                                 Self.sleeper("removed")].joined(separator: "\n"),
                                       extra: Self.extra, environment: Self.environment)
        try await warden.waitReady()
        var pids: [String: Int32] = [:]
        for name in ["relaunched", "rewatched", "kept", "removed"] { pids[name] = try #require(try await warden.enginePid(name)) }

        // The added engine's probe logs in with a password file every user can read: applied, and named.
        let password = directory.write("password", "pa55word-never-shown")
        chmod(password, 0o644)
        let loggingIn = """
                probes:
                  - {name: api, http: {url: "http://127.0.0.1:1/", basic_auth: {username: warden, password: {file: password}}}}
            """
        warden.rewrite(engines: [Self.sleeper("relaunched", env: "B"), Self.sleeper("rewatched") + "\n" + watched,
                                 Self.sleeper("kept"), Self.sleeper("added") + "\n" + loggingIn].joined(separator: "\n"),
                       extra: Self.extra)
        let applied = try await Self.reload(warden)
        #expect(applied.status == 200 && applied.answer.applied, "\(applied.answer)")
        #expect(applied.answer.summary == "engines added: added; removed: removed; restarted: relaunched; watching changed: rewatched")
        let file = directory.file("warden.yml")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        let probeLine = (lines.firstIndex { $0.contains("{file: password}") } ?? -2) + 1
        let exposed = "\(file):\(probeLine): engines[3].probes: secret file \(password) is readable by every user on this host "
            + "(mode 644); chmod o-r it"
        #expect(applied.answer.warnings == [exposed], "\(applied.answer)")
        #expect(warden.log.contains("config: \(exposed)"))
        #expect(!warden.log.contains("pa55word-never-shown"))

        try await eventually("the relaunched engine runs again under a new pid") {
            let pid = try await warden.enginePid("relaunched")
            return pid != nil && pid != pids["relaunched"]
        }
        #expect(try await warden.enginePid("rewatched") == pids["rewatched"], "a new probe does not restart its engine")
        #expect(try await warden.enginePid("kept") == pids["kept"])
        #expect(try await warden.enginePid("added") != nil)
        #expect(kill(try #require(pids["removed"]), 0) != 0, "the removed engine was stopped")
        let status = try await warden.status()
        #expect(status.engines.map(\.name) == ["relaunched", "rewatched", "kept", "added"])
        try await eventually("the new probe runs on the engine that kept its process") {
            (try await warden.status().engines.first { $0.name == "rewatched" }?.probes["beat"]?.success) == true
        }
        let metrics = try await warden.metrics()
        #expect(!metrics.contains(#"engine="removed""#), "a removed engine leaves /metrics")
        #expect(metric(metrics, #"warden_engine_up{engine="added"}"#) == 1)
        #expect(metric(metrics, #"warden_engine_restarts_total{engine="kept",reason="config"}"#) == 0)

        // The removed engine stopped gracefully: its TERM trap ran, nothing was killed after a grace period.
        #expect(!warden.log.contains("did not stop within its grace period"))
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
    }
}

/// Reloads while the demo engine trades, its probes run and alerts go out: nothing is lost in the handover.
struct ReloadUnderLoadTests {
    /// Records when each probe run arrives.
    final class Arrivals: Sendable {
        private let times = Mutex<[Double]>([])
        var all: [Double] { times.withLock { $0 } }
        func note() { times.withLock { $0.append(Date().timeIntervalSince1970) } }
    }

    @Test func reloadsUnderTheDemosLoadLoseNoProbeRunAndNoAlert() async throws {
        let arrivals = Arrivals()
        let router = Router()
        router.get("/tick") { _, _ in
            arrivals.note()
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
        }
        let (server, port) = await serveOnLoopback(router)
        defer { server.cancel() }
        let receiver = try await WebhookReceiver(secret: "reload-webhook-secret")
        let interval = 1.0
        func extra(groupWindow: String) -> String {
            """
            admin_token: {env: WARDEN_RELOAD_TOKEN}
            alerts:
              group_window: \(groupWindow)
              channels: [{name: hook, min_level: HEALTHY, webhook: {url: "\(receiver.url)", secret: {env: WARDEN_RELOAD_HOOK}}}]
            """
        }
        let environment = ReloadTests.environment.merging(["WARDEN_RELOAD_HOOK": receiver.secret]) { $1 }
        let demo = try await DemoWarden.start(extra: extra(groupWindow: "0s"), environment: environment) { engine in
            engine.probes.append(ConfigFile.Probe(name: "tick", interval: .seconds(interval), timeout: .seconds(2),
                                                  kind: .http(.init(url: URL(string: "http://127.0.0.1:\(port)/tick")!, json: true))))
        }
        defer { demo.stop() }
        try await eventually("the tick probe runs") { arrivals.all.count >= 3 }

        // Six reloads, each replacing every probe loop and judge (a new sampling interval) and every other one
        // the alert dispatcher too (a new group window), with test alerts queued around each.
        var engine = demo.engine
        let firstReload = Date().timeIntervalSince1970
        for round in 0..<6 {
            for index in 0..<2 {
                let queued = try await http(demo.warden.base + "/api/v1/alerts/test?text=reload-\(round)-\(index)", method: "POST",
                                            token: ReloadTests.token)
                #expect(queued.status == 202)
            }
            engine.samplingInterval = round % 2 == 0 ? .seconds(2) : .seconds(1)
            demo.warden.rewrite(engines: try ConfigFile.engineEntries([engine]),
                                extra: extra(groupWindow: round % 2 == 0 ? "1ms" : "0s"))
            let applied = try await ReloadTests.reload(demo.warden)
            #expect(applied.answer.applied, "\(applied.answer)")
            try await Task.sleep(for: .milliseconds(700))
        }
        let lastReload = Date().timeIntervalSince1970
        try await Task.sleep(for: .seconds(2 * interval))

        let expected = Set((0..<6).flatMap { round in (0..<2).map { "reload-\(round)-\($0)" } })
        try await eventually("every queued alert arrives") {
            expected.isSubset(of: Set(receiver.deliveries.flatMap { $0.payload.events.map(\.reason) }))
        }
        // The grid of the tick probe went on through every handover: one run per slot, none skipped or doubled
        // (a slot that passed during a handover runs late, not never).
        let runs = arrivals.all.filter { $0 >= firstReload - interval && $0 <= lastReload + interval }
        let span = try #require(runs.last) - (try #require(runs.first))
        #expect(runs.count == Int((span / interval).rounded()) + 1,
                "gaps between runs: \(zip(runs.dropFirst(), runs).map { $0 - $1 })")
    }
}
