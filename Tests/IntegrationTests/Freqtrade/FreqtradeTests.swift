import Foundation
import Testing
@testable import WardenKit

/// The real freqtrade, unpatched, under the real Warden with examples/freqtrade/warden.yml, offline against a fake
/// Binance. Each scenario is asserted through Warden's metrics, its status and a local webhook receiver. Only
/// freqtrade's own pace is shortened (bot/config.json: a 1 s loop, a heartbeat every 10 s); Warden's config is
/// the example's.
@Suite(.timeLimit(.minutes(10)))
struct FreqtradeTests {
    static let openTrades = #"warden_open_positions{engine="freqtrade"}"#
    static let tradesResumed = #"warden_log_rule_matches_total{engine="freqtrade",rule="trades_resumed"}"#
    /// Warden judges every 10 s: a look a second sees each change, and leaves the machine to the bots.
    static let poll = Duration.seconds(1)

    /// Waits until the test strategy has trades open, and returns how many.
    static func tradesOpen(_ bot: FreqtradeUnderWarden) async throws -> Double {
        try await eventually(timeout: .seconds(90), every: Self.poll, "the strategy opens trades") {
            (try? await bot.value(Self.openTrades)).flatMap { $0 } ?? 0 >= 1
        }
        return try #require(try await bot.value(Self.openTrades))
    }

    /// Trading as usual for three minutes, trades opening and closing every minute: nothing is wrong, so every
    /// component stays HEALTHY and nobody is told anything. Then Warden is stopped as systemd stops it: freqtrade
    /// exits 130 within its grace period, and that is recorded as the clean stop it is.
    @Test func threeQuietMinutesOfTradingRaiseNothingAndStoppingWardenStopsTheBotCleanly() async throws {
        let bot = try await FreqtradeUnderWarden(holdSeconds: 45)
        try await bot.waitHealthy()
        var notHealthy: Set<String> = []
        var openSeen: [Double] = []
        let watchedFrom = Date()
        while Date().timeIntervalSince(watchedFrom) < 180 {
            let engine = try await bot.engine()
            for (name, component) in engine.health.components where component.level != .healthy || component.rawLevel != .healthy {
                notHealthy.insert("\(name) \(component.rawLevel.name): \(component.reason ?? "")")
            }
            if let open = try await bot.value(Self.openTrades) { openSeen.append(open) }
            try await Task.sleep(for: .seconds(3))
        }
        #expect(notHealthy.isEmpty, "\(notHealthy)")
        #expect(openSeen.contains { $0 >= 1 } && openSeen.contains(0), "trades opened and all closed again: \(openSeen)")
        #expect(try await bot.value(#"warden_engine_state_expected{engine="freqtrade",state="trading"}"#) == 1)
        #expect(try await bot.value(#"warden_decision_age_seconds{engine="freqtrade"}"#) ?? .infinity < 15)
        #expect(bot.webhook.deliveries.isEmpty, "\(bot.webhook.deliveries.map(\.payload.events))")
        #expect(bot.telegram.messages.isEmpty, "\(bot.telegram.messages.map(\.text))")

        let pid = try #require(try await bot.engine().pid)
        let stopAsked = Date()
        bot.warden.signal(SIGTERM)
        #expect(try await bot.warden.waitExit(timeout: .seconds(60)) == 0)
        #expect(Date().timeIntervalSince(stopAsked) < 30, "within freqtrade's grace period of 30 s")
        #expect(isGone(pid))
        let store = try WardenStore(path: bot.directory.file("state/warden.sqlite"), logger: .init(label: "test"))
        let events = try store.recentEvents(engine: "freqtrade", limit: 20)
        let exit = try #require(events.first { $0.kind.hasSuffix("exit") }, "\(events)")
        #expect(exit.kind == "clean_exit" && exit.exitCode == 130, "\(exit)")
        #expect(!events.contains { $0.kind == "killed_after_grace" })
    }

    /// `kill -9`: the bot is respawned and takes its open trades back from its database. Then `kill -STOP`: the
    /// frozen bot answers nothing, which the API probe's failures show; the policy restarts it (SIGTERM with
    /// SIGCONT, so it stops cleanly), and it takes its trades back again.
    @Test func aKilledBotIsRespawnedAndAFrozenOneRestartedBothTakingTheirTradesBack() async throws {
        let bot = try await FreqtradeUnderWarden(holdSeconds: 100_000)
        try await bot.waitHealthy()
        let open = try await Self.tradesOpen(bot)

        let killed = try #require(try await bot.engine().pid)
        kill(killed, SIGKILL)
        try await eventually(timeout: .seconds(60), every: Self.poll, "the bot is respawned") {
            guard let engine = try? await bot.engine() else { return false }
            return engine.state == "running" && engine.pid != nil && engine.pid != killed
        }
        let respawned = try await bot.engine()
        #expect(respawned.restartsByReason["signal"] == 1 && respawned.lastExit?.signal == "SIGKILL" && respawned.lastExit?.clean == false)
        try await eventually(timeout: .seconds(60), every: Self.poll, "its open trades are picked up again") {
            (try? await bot.value(Self.tradesResumed)).flatMap { $0 } ?? 0 >= open
        }
        try await eventually(timeout: .seconds(30), every: Self.poll, "the restart is told") {
            bot.webhook.deliveries.flatMap(\.payload.events).contains { $0.kind == .restart && $0.reason.contains("SIGKILL") }
        }
        try await bot.waitHealthy()
        let resumedBefore = try #require(try await bot.value(Self.tradesResumed))

        let frozen = try #require(try await bot.engine().pid)
        kill(frozen, SIGSTOP)
        try await eventually(timeout: .seconds(180), every: Self.poll, "the frozen bot is found and restarted\n\(bot.warden.log)") {
            guard let engine = try? await bot.engine() else { return false }
            return engine.state == "running" && engine.pid != nil && engine.pid != frozen
        }
        #expect(isGone(frozen), "the frozen process was continued and stopped")
        let restarted = try await bot.engine()
        #expect(restarted.restartsByReason["health"] == 1, "\(restarted.restartsByReason)")
        #expect(restarted.remediation.recent.contains {
            $0.source.contains("restart-when-unanswered") && $0.action == "restart" && $0.result == .success
        }, "\(restarted.remediation.recent)")
        try await eventually(timeout: .seconds(30), every: Self.poll, "the unanswered API is alerted") {
            bot.alerts(.api).contains { $0.level >= .unhealthy }
        }
        try await eventually(timeout: .seconds(60), every: Self.poll, "its open trades are picked up again") {
            (try? await bot.value(Self.tradesResumed)).flatMap { $0 } ?? 0 >= resumedBefore + open
        }
    }

    /// An exchange that accepts and never answers stalls freqtrade's loop while its API still answers: the
    /// decision age grows to UNHEALTHY, which is alerted. The exchange answers again, and so does the loop.
    @Test func anExchangeThatHangsStallsTheLoopWhichIsAlertedUntilTheExchangeAnswers() async throws {
        let bot = try await FreqtradeUnderWarden(holdSeconds: 100_000)
        try await bot.waitHealthy()
        _ = try await Self.tradesOpen(bot)   // open trades make every loop ask the exchange

        try await bot.exchange.set(.hang)
        try await eventually(timeout: .seconds(180), every: Self.poll, "the stalled loop is UNHEALTHY") {
            try await bot.level(.decisions) == .unhealthy
        }
        #expect(try await bot.engine().probes["api"]?.success == true, "the bot's API still answers")
        try await eventually(timeout: .seconds(30), every: Self.poll, "it is alerted") {
            bot.alerts(.decisions).contains { $0.level == .unhealthy }
        }
        try await bot.exchange.set(.ok)
        try await eventually(timeout: .seconds(90), every: Self.poll, "the loop runs again and decisions recover") {
            try await bot.level(.decisions) == .healthy
        }
        try await eventually(timeout: .seconds(30), every: Self.poll, "the recovery is told") {
            bot.alerts(.decisions).last?.level == .healthy
        }
        #expect(try await bot.engine().restartsTotal == 0)
    }

    /// An exchange that answers 503 leaves freqtrade's loop running; only its warnings tell. Their rate is an
    /// UNHEALTHY finding of the api component while the decision age stays fresh, and clears when the exchange
    /// answers again.
    @Test func anExchangeAnswering503IsSeenByTheWarningRateWhileTheLoopStaysFresh() async throws {
        let bot = try await FreqtradeUnderWarden(holdSeconds: 100_000)
        try await bot.waitHealthy()
        _ = try await Self.tradesOpen(bot)

        try await bot.exchange.set(.unavailable)
        try await eventually(timeout: .seconds(120), every: Self.poll, "the warning rate is UNHEALTHY") {
            try await bot.level(.api) == .unhealthy
        }
        let api = try #require(try await bot.engine().health.components["api"])
        #expect(api.findings.contains { $0.check == "counter_rate" && $0.subject == "exchange_warnings" && $0.level == .unhealthy },
                "\(api.findings.map(\.message))")
        #expect(try await bot.level(.decisions) == .healthy, "the loop keeps deciding")
        #expect(try await bot.value(#"warden_decision_age_seconds{engine="freqtrade"}"#) ?? .infinity < 15)
        #expect(try await bot.value(#"warden_rate_events_total{engine="freqtrade",rate="exchange_warnings"}"#) ?? 0 > 30)
        try await eventually(timeout: .seconds(30), every: Self.poll, "it is alerted") {
            bot.alerts(.api).contains { $0.level == .unhealthy }
        }

        try await bot.exchange.set(.ok)
        try await eventually(timeout: .seconds(150), every: Self.poll, "the warnings stop and api recovers") {
            try await bot.level(.api) == .healthy
        }
        #expect(try await bot.engine().restartsTotal == 0)
    }

    /// `POST /api/v1/stop`: freqtrade lives on, answering, and trades nothing. Its state is the finding; its
    /// frozen loop is not taken for a silent one, so nothing restarts the bot a person stopped. `/start` clears it.
    @Test func aBotStoppedThroughItsAPIIsAFindingAndIsNotRestartedUntilStartedAgain() async throws {
        let bot = try await FreqtradeUnderWarden(holdSeconds: 100_000)
        try await bot.waitHealthy()
        let pid = try #require(try await bot.engine().pid)

        #expect(try await bot.botAPI("POST", "stop").status == 200)
        try await eventually(timeout: .seconds(60), every: Self.poll, "the stopped state is a finding") {
            try await bot.level(.decisions) == .degraded
        }
        let decisions = try #require(try await bot.engine().health.components["decisions"])
        #expect(decisions.reason?.contains("engine state (trading) stopped, expected running") == true, "\(decisions.reason ?? "")")
        #expect(try await bot.value(#"warden_engine_state_expected{engine="freqtrade",state="trading"}"#) == 0)
        try await eventually(timeout: .seconds(90), every: Self.poll, "the frozen loop passes the silent-loop bound (60 s)") {
            (try? await bot.value(#"warden_decision_age_seconds{engine="freqtrade"}"#)).flatMap { $0 } ?? 0 > 75
        }
        let idle = try #require(try await bot.engine().health.components["decisions"])
        #expect(idle.level == .degraded && idle.rawLevel == .degraded, "a stopped bot is not a silent one")
        #expect(idle.findings.contains { $0.check == "decision_age" && $0.level == .healthy && $0.message.contains("not judged while engine state") },
                "\(idle.findings.map(\.message))")
        let stopped = try await bot.engine()
        #expect(stopped.pid == pid && stopped.restartsTotal == 0)
        #expect(bot.alerts(.decisions).contains { $0.level == .degraded && $0.reason.contains("stopped") })

        #expect(try await bot.botAPI("POST", "start").status == 200)
        try await eventually(timeout: .seconds(60), every: Self.poll, "started again, decisions recover") {
            try await bot.level(.decisions) == .healthy
        }
        #expect(try await bot.value(#"warden_engine_state_expected{engine="freqtrade",state="trading"}"#) == 1)
    }
}
