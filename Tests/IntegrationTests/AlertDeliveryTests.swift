import Foundation
import Logging
import Synchronization
import Testing
@testable import WardenKit

/// The outbox and the notifiers against a local Telegram Bot API and a local webhook receiver, with a real
/// store; time runs faster where an outage of half an hour is the point.
struct AlertDeliveryTests {
    /// Virtual time running `factor` times faster than real time.
    struct FastClock: AlertClock {
        let factor: Double
        let start = Date().timeIntervalSince1970
        func now() -> Double { start + (Date().timeIntervalSince1970 - start) * factor }
        func sleep(_ duration: Duration) async { try? await Task.sleep(for: duration / factor) }
    }

    /// A store, a dispatcher running over the given channels, and a way to queue events at the clock's time.
    final class Outbox: @unchecked Sendable {
        let directory = TempDirectory("outbox")
        let store: WardenStore
        let stats: AlertStats
        let clock: FastClock
        let channels: [String]
        private let task: Task<Void, Never>

        init(_ channels: [AlertChannel], groupWindow: Duration = .zero, maxAge: Duration = .seconds(86_400),
             factor: Double = 1) throws {
            store = try WardenStore(path: directory.file("warden.sqlite"), logger: Logger(label: "test"))
            stats = AlertStats(channels: channels.map(\.name))
            clock = FastClock(factor: factor)
            self.channels = channels.map(\.name)
            let dispatcher = AlertDispatcher(channels: channels, store: store,
                                             settings: .init(groupWindow: groupWindow, maxAge: maxAge), clock: clock,
                                             stats: stats, logger: Logger(label: "test"))
            task = Task { await dispatcher.run() }
        }

        func send(_ reasons: [String], level: HealthLevel = .unhealthy) async {
            let events = reasons.map {
                AlertEvent(kind: .transition, engine: "bot", component: "positions", from: .healthy, level: level,
                           reason: $0, at: clock.now())
            }
            await store.enqueue(channels.flatMap { channel in events.map { (channel, $0) } }, at: clock.now())
        }

        deinit { task.cancel() }
    }

    /// A generous timeout: a message Telegram took but whose answer came after the timeout is sent again (delivery
    /// is at least once), which a test of order on a busy machine would read as a duplicate.
    static func telegram(_ fake: FakeTelegram, interval: Duration = .zero) -> AlertChannel {
        AlertChannel(name: "tg", minLevel: .degraded,
                     notifier: TelegramNotifier(apiURL: URL(string: fake.url)!, token: fake.token, chatID: "-100200300",
                                                threadID: 7, timeout: .seconds(10), minimumInterval: interval))
    }

    static func reasons(_ messages: [FakeTelegram.Message]) -> [String] {
        messages.compactMap { $0.text.split(separator: "\n").dropFirst().first.map(String.init) }
    }

    @Test func whatTheEngineSaysArrivesEscapedIntactAndWithinTheLimit() async throws {
        let fake = try await FakeTelegram(token: "123456:test-token")
        let outbox = try Outbox([Self.telegram(fake)])
        let long = String(repeating: "lots of <detail> & more 🚀 ", count: 400)
        await outbox.send(["mismatch <b>6</b> & \"rising\" 🚀👩‍💻", long])
        try await eventually("both messages are accepted") { fake.messages.count == 2 }
        #expect(fake.rejected.isEmpty, "Telegram parsed every entity: \(fake.rejected)")
        let first = try #require(fake.messages.first)
        #expect(first.text.contains("mismatch <b>6</b> & \"rising\" 🚀👩‍💻"))
        #expect(first.chatID == "-100200300" && first.threadID == 7 && !first.silent)
        #expect(fake.messages[1].text.hasSuffix("… [truncated]"))
    }

    @Test func aRateLimitStormIsWaitedOutAsTelegramAsksAndOrderIsKept() async throws {
        let fake = try await FakeTelegram(token: "1:storm")
        fake.set(.rateLimited(retryAfter: 1, count: 3))
        let outbox = try Outbox([Self.telegram(fake)])
        await outbox.send(["first", "second", "third"])
        try await eventually(timeout: .seconds(15), "all three are delivered") { fake.messages.count == 3 }
        #expect(Self.reasons(fake.messages) == ["first", "second", "third"])
        let requests = fake.requests
        #expect(requests.count == 6)
        for index in 1...3 { #expect(requests[index] - requests[index - 1] >= 0.95, "retry_after honoured") }
        #expect(outbox.stats.snapshot["tg"]?.results["retried"] == 3)
    }

    @Test func halfAnHourOfOutageLosesNothingAndKeepsTheOrder() async throws {
        let fake = try await FakeTelegram(token: "1:outage")
        fake.set(.down)
        // 600 times faster: 30 minutes pass in 3 seconds.
        let outbox = try Outbox([Self.telegram(fake)], factor: 600)
        let started = outbox.clock.now()
        for index in 0..<10 { await outbox.send(["event \(index)"]) }
        try await eventually("retried along the way") { fake.requests.count >= 3 }
        try await eventually("30 minutes pass") { outbox.clock.now() - started > 1800 }
        #expect(fake.messages.isEmpty, "nothing got through the outage")
        #expect(fake.requests.count < 40, "not hammering: \(fake.requests.count) attempts in 30 minutes")
        fake.set(.ok)
        try await eventually(timeout: .seconds(20), "everything is delivered") { fake.messages.count == 10 }
        #expect(Self.reasons(fake.messages) == (0..<10).map { "event \($0)" })
        // The last acknowledgement is written just after the Bot API answers.
        try await eventually("the queue is empty and nothing died") {
            (try await outbox.store.outboxSummary())["tg"] == nil
        }
    }

    @Test func aBurstWithinTheWindowIsOneMessage() async throws {
        let fake = try await FakeTelegram(token: "1:burst")
        // The window is wide enough that a loaded machine sends both bursts inside it.
        let outbox = try Outbox([Self.telegram(fake)], groupWindow: .seconds(2))
        await outbox.send(["one", "two", "three"])
        await outbox.send(["four"], level: .critical)
        try await eventually("the burst is delivered") { !fake.messages.isEmpty }
        try await Task.sleep(for: .milliseconds(1000))
        #expect(fake.messages.count == 1)
        let text = try #require(fake.messages.first?.text)
        #expect(["one", "two", "three", "four"].allSatisfy(text.contains))
        #expect(outbox.stats.snapshot["tg"]?.results["delivered"] == 4)
    }

    @Test func aPermanentFailureGoesToTheDeadLettersAndTheNextMessageGoesOn() async throws {
        let fake = try await FakeTelegram(token: "1:dead")
        fake.set(.badChat)
        let outbox = try Outbox([Self.telegram(fake)])
        await outbox.send(["doomed"])
        try await eventually("the message is dead-lettered") {
            (try await outbox.store.outboxSummary())["tg"]?.deadLetters == 1
        }
        fake.set(.ok)
        await outbox.send(["fine"])
        try await eventually("the next one is delivered") { fake.messages.count == 1 }
        #expect(Self.reasons(fake.messages) == ["fine"])
        #expect(outbox.stats.snapshot["tg"]?.results["failed"] == 1)
        #expect(fake.requests.count == 2, "a 400 is never retried")
    }

    /// A webhook's path is often its secret (Slack, Discord): a failure names the origin only, never the path.
    @Test func aFailedWebhookNamesItsOriginNotItsPath() async throws {
        let port = freePort()
        let notifier = WebhookNotifier(url: URL(string: "http://127.0.0.1:\(port)/hooks/T0SECRET/B0SECRET")!, secret: nil,
                                       headers: [:], timeout: .seconds(2))
        let result = await notifier.deliver(AlertBatch(id: "x", events: [
            AlertEvent(kind: .test, engine: nil, level: .healthy, reason: "probe", at: 0),
        ]))
        guard case .retry(_, let reason) = result else { Issue.record("expected a retry, got \(result)"); return }
        #expect(reason.hasPrefix("POST http://127.0.0.1:\(port)/…: cannot connect"), "\(reason)")
        #expect(!reason.contains("SECRET"), "\(reason)")
    }

    @Test func webhooksAreSignedRetriedOn5xxAndDroppedOn4xx() async throws {
        let receiver = try await WebhookReceiver(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        receiver.answer(with: 503)
        let channel = AlertChannel(name: "hook", minLevel: .degraded,
                                   notifier: WebhookNotifier(url: URL(string: receiver.url)!, secret: receiver.secret,
                                                             headers: ["X-Team": "trading"], timeout: .seconds(2)))
        let outbox = try Outbox([channel])
        await outbox.send(["signed"])
        try await eventually("the 503 is retried") { outbox.stats.snapshot["hook"]?.results["retried"] ?? 0 >= 1 }
        receiver.answer(with: 200)
        try await eventually(timeout: .seconds(15), "the webhook is delivered") { receiver.deliveries.count == 1 }
        let delivery = try #require(receiver.deliveries.first)
        #expect(delivery.signatureValid, "HMAC-SHA256 over id.timestamp.body with the whsec_ key")
        #expect(delivery.payload.version == "1" && delivery.payload.events.map(\.reason) == ["signed"])
        #expect(delivery.id == delivery.payload.id && delivery.id == delivery.payload.events[0].id,
                "one id across retries, for de-duplication")
        receiver.answer(with: 422)
        await outbox.send(["rejected"])
        try await eventually("a 4xx is dead-lettered at once") {
            (try await outbox.store.outboxSummary())["hook"]?.deadLetters == 1
        }
    }
}

extension AlertDeliveryTests {
    @Test func aServerThatNeverAnswersIsCutOffAtTheTimeoutAndTriedAgain() async throws {
        let fake = try await FakeTelegram(token: "1:hang")
        fake.set(.hang)
        let channel = AlertChannel(name: "tg", minLevel: .degraded,
                                   notifier: TelegramNotifier(apiURL: URL(string: fake.url)!, token: fake.token, chatID: "1",
                                                              threadID: nil, timeout: .milliseconds(300), minimumInterval: .zero))
        let outbox = try Outbox([channel])
        await outbox.send(["patient"])
        try await eventually("the hung request times out and is retried") { fake.requests.count >= 2 }
        let lastError = try await outbox.store.outboxSummary()["tg"]?.lastError ?? ""
        #expect(lastError.contains("no complete answer within 300ms"), "\(lastError)")
        #expect(!lastError.contains(fake.token) && !lastError.contains("127.0.0.1"), "the URL carries the token: never shown")
        fake.set(.ok)
        try await eventually(timeout: .seconds(15), "delivered once the server answers") { fake.messages.count == 1 }
    }

    @Test func aRetryResendsTheSameBurstUnderTheSameDeliveryID() async throws {
        let receiver = try await WebhookReceiver(secret: "plain-secret")
        receiver.answer(with: 500)
        let channel = AlertChannel(name: "hook", minLevel: .degraded,
                                   notifier: WebhookNotifier(url: URL(string: receiver.url)!, secret: receiver.secret,
                                                             headers: [:], timeout: .seconds(2)))
        let outbox = try Outbox([channel], groupWindow: .milliseconds(300))
        await outbox.send(["a", "b"])
        try await eventually("the burst is tried and refused") { receiver.attempts.count >= 1 }
        // More arrives while the first burst waits for its retry: it does not join it.
        await outbox.send(["c"])
        receiver.answer(with: 200)
        try await eventually(timeout: .seconds(15), "both messages are delivered") { receiver.deliveries.count == 2 }
        let first = receiver.deliveries[0]
        #expect(first.payload.events.map(\.reason) == ["a", "b"] && receiver.deliveries[1].payload.events.map(\.reason) == ["c"])
        #expect(receiver.attempts.filter { $0 == first.id }.count == receiver.attempts.count - 1,
                "every attempt at the first burst carried one id: \(receiver.attempts)")
        #expect(first.signatureValid)
    }

    @Test func messagesOlderThanMaxAgeAreDeadLetteredNotSentLate() async throws {
        let fake = try await FakeTelegram(token: "1:old")
        fake.set(.down)
        let outbox = try Outbox([Self.telegram(fake)], maxAge: .seconds(600), factor: 600)
        await outbox.send(["stale news"])
        try await eventually(timeout: .seconds(10), "the message expires after 10 virtual minutes") {
            (try await outbox.store.outboxSummary())["tg"]?.deadLetters == 1
        }
        fake.set(.ok)
        try await Task.sleep(for: .milliseconds(300))
        #expect(fake.messages.isEmpty)
        #expect(outbox.stats.snapshot["tg"]?.results["failed"] == 1)
    }

    /// Nothing would ever deliver what was queued for a channel the config no longer has (removed, or renamed):
    /// when the new channels start, it moves to the dead letters with the reason, and the kept channel delivers
    /// its own as before.
    @Test func whatWasQueuedForARemovedChannelMovesToTheDeadLetters() async throws {
        let fake = try await FakeTelegram(token: "1:moved")
        let directory = TempDirectory("outbox")
        let store = try WardenStore(path: directory.file("warden.sqlite"), logger: Logger(label: "test"))
        let log = RecordedLog()
        let now = Date().timeIntervalSince1970
        func event(_ reason: String) -> AlertEvent {
            AlertEvent(kind: .transition, engine: "bot", component: "positions", from: .healthy, level: .unhealthy,
                       reason: reason, at: now)
        }
        await store.enqueue([("old-chat", event("queued before the rename")), ("tg", event("kept")),
                             ("old-chat", event("also queued"))], at: now)
        let dispatcher = AlertDispatcher(channels: [Self.telegram(fake)], store: store,
                                         settings: .init(groupWindow: .zero, maxAge: .seconds(600)),
                                         stats: AlertStats(channels: ["tg"]), logger: log.logger)
        let task = Task { await dispatcher.run() }
        defer { task.cancel() }
        try await eventually("the kept channel delivers its own") { fake.messages.count == 1 }
        #expect(log.messages.contains("warning: 2 queued alerts of channel old-chat, which the config no longer has, moved to the dead letters"),
                "\(log.messages)")
        #expect(Self.reasons(fake.messages) == ["kept"])
        let summary = try await store.outboxSummary()
        #expect(summary["old-chat"] == OutboxSummary(depth: 0, oldest: nil, lastError: nil, deadLetters: 2), "\(summary)")
        let reasons = try await store.pool.read { db in
            try String.fetchAll(db, sql: "SELECT reason FROM alert_dead_letters ORDER BY id")
        }
        #expect(reasons == Array(repeating: "channel old-chat is no longer configured", count: 2))
    }

    @Test func wardensOwnProblemsGoOutDirectlyOnEveryChannel() async throws {
        let fake = try await FakeTelegram(token: "1:direct")
        let outbox = try Outbox([])
        let dispatcher = AlertDispatcher(channels: [Self.telegram(fake)], store: outbox.store,
                                         settings: .init(groupWindow: .seconds(10), maxAge: .seconds(60)),
                                         stats: AlertStats(channels: ["tg"]), logger: Logger(label: "test"))
        dispatcher.sendDirect([AlertEvent(kind: .warden, engine: nil, level: .critical,
                                          reason: "cannot write to Warden's database /var/lib/warden/warden.sqlite: disk full",
                                          at: Date().timeIntervalSince1970)])
        try await eventually("the problem is delivered without the outbox or its grouping") { fake.messages.count == 1 }
        #expect(fake.messages[0].text.contains("Warden") && fake.messages[0].text.contains("disk full"))
    }
}

struct ReminderScheduleTests {
    @Test func anOngoingProblemIsSaidAgainAtTheIntervalNotAtEveryEvaluation() {
        var schedule = ReminderSchedule(interval: .seconds(3600))
        var state = ComponentHealth(now: 0)
        state.level = .unhealthy
        let up = HealthTransition(component: .positions, from: .healthy, to: .unhealthy, at: 0, finding: nil)
        var due: [Double] = []
        #expect(schedule.due([.positions: state], transitions: [up], now: 0).isEmpty, "the transition itself was said")
        for t in stride(from: 10.0, through: 3 * 3600, by: 10) where !schedule.due([.positions: state], transitions: [], now: t).isEmpty {
            due.append(t)
        }
        #expect(due == [3600, 7200, 10800])
        state.level = .degraded
        let down = HealthTransition(component: .positions, from: .unhealthy, to: .degraded, at: 11000, finding: nil)
        #expect(schedule.due([.positions: state], transitions: [down], now: 20000).isEmpty, "a DEGRADED component is not nagged about")
    }
}
