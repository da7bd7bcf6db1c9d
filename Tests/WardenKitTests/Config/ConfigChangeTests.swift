import Testing
@testable import WardenKit

/// What a reload disturbs, decided from the model Warden runs with and the one read now.
struct ConfigChangeTests {
    static func engine(_ name: String) -> ConfigFile.Engine {
        ConfigFile.Engine(name: name, command: ["bot", "--live"])
    }

    static let running = ConfigFile(engines: [engine("a"), engine("b"), engine("c")])

    @Test func howAnEngineRunsRestartsItAndHowItIsWatchedDoesNot() {
        var next = Self.running
        next.engines[0].environment["MODE"] = "paper"
        next.engines[1].health.escalateAfter = 5
        next.engines[1].samplingInterval = .seconds(1)
        next.engines[2].restart.budget = 20
        let change = ConfigChange(from: Self.running, to: next)
        #expect(change.restarted == ["a"])
        #expect(change.rewatched == ["b"])
        #expect(change.resupervised == ["c"], "a new restart budget applies in place")
        #expect(change.added.isEmpty && change.removed.isEmpty && change.sections.isEmpty)
    }

    @Test(arguments: [
        { (engine: inout ConfigFile.Engine) in engine.command = ["bot", "--paper"] },
        { engine in engine.workingDirectory = "elsewhere" },
        { engine in engine.inheritEnvironment = false },
        { engine in engine.logs.file = "bot.log" },
        { engine in engine.report = ConfigFile.Report() },
    ] as [@Sendable (inout ConfigFile.Engine) -> Void])
    func everyPartOfTheLaunchRestarts(_ edit: @Sendable (inout ConfigFile.Engine) -> Void) {
        var next = Self.running
        edit(&next.engines[0])
        #expect(ConfigChange(from: Self.running, to: next).restarted == ["a"])
    }

    @Test func aFollowedLogFileIsWatchingAndRestartsNothing() {
        var next = Self.running
        next.engines[0].logs.follow = "/var/log/bot/bot.log"
        let change = ConfigChange(from: Self.running, to: next)
        #expect(change.restarted.isEmpty)
        #expect(change.rewatched == ["a"])
    }

    @Test func enginesComeAndGoByNameAndOrderAloneChangesNothing() {
        var next = Self.running
        next.engines = [Self.engine("c"), Self.engine("a"), Self.engine("d")]
        let change = ConfigChange(from: Self.running, to: next)
        #expect(change.added == ["d"])
        #expect(change.removed == ["b"])
        #expect(change.restarted.isEmpty && change.rewatched.isEmpty)
        #expect(change.summary == "engines added: d; removed: b")
    }

    @Test func sectionsAndTheKeysThatWaitForARestartAreNamed() {
        var next = Self.running
        next.alerts.repeatInterval = .seconds(600)
        next.remediation.dryRun = true
        next.listen = ListenAddress(host: "127.0.0.1", port: 9999)
        next.stateDirectory = "/srv/warden"
        let change = ConfigChange(from: Self.running, to: next)
        #expect(change.sections == ["alerts", "remediation"])
        #expect(change.waitingForRestart == ["listen", "state_dir"])
        #expect(change.summary == "sections changed: alerts, remediation; waiting for a restart of Warden: listen, state_dir")
        // The listener's TLS and users, and the dead-man's switch, are set up once, at start.
        var guarded = Self.running
        guarded.web.publicReads = true
        guarded.heartbeat = .init(url: .text("https://hc-ping.com/abc"))
        #expect(ConfigChange(from: Self.running, to: guarded).waitingForRestart == ["web", "heartbeat"])
        var kept = guarded
        kept.keepStartupKeys(of: Self.running)
        #expect(kept.web == Self.running.web && kept.heartbeat == nil)
        #expect(ConfigChange(from: Self.running, to: Self.running).isEmpty)
        #expect(ConfigChange(from: Self.running, to: Self.running).summary == "nothing changed")
    }
}
