import Foundation
import Testing
@testable import WardenKit

struct AlertFormatTests {
    static func event(_ reason: String, engine: String = "bot") -> AlertEvent {
        AlertEvent(kind: .transition, engine: engine, component: "positions", from: .healthy, level: .unhealthy,
                   reason: reason, action: "rearm-monitoring", at: 1_732_160_096, id: "e1")
    }

    @Test func telegramHTMLEscapesWhatTheEngineSays() {
        let html = AlertFormat.telegramHTML([Self.event("mismatch <6> & \"rising\" 🚀", engine: "bot<b>")])
        #expect(html.contains("bot&lt;b&gt; · positions HEALTHY → UNHEALTHY</b>"))
        #expect(html.contains("mismatch &lt;6&gt; &amp; &quot;rising&quot; 🚀"))
        #expect(html.hasPrefix("🟠 <b>"))
        #expect(!html.contains("<6>") && !html.contains("bot<b>"))
    }

    @Test func longMessagesAreCutAtTheLimitWithAMarkerNeverInsideAnEntityOrCharacter() {
        let reason = String(repeating: "a<é🚀&", count: 2_000)
        let html = AlertFormat.telegramHTML([Self.event("short"), Self.event(reason)])
        #expect(html.utf16.count <= AlertFormat.telegramLimit)
        #expect(html.utf16.count > AlertFormat.telegramLimit - 20, "the room is used, not wasted")
        #expect(html.hasSuffix("\n… [truncated]"))
        let body = html.dropLast("\n… [truncated]".count)
        // Every & starts a whole entity; no lone surrogate (Swift strings cannot hold one, so check the cut).
        let entities = body.components(separatedBy: "&").dropFirst()
        #expect(entities.allSatisfy { $0.hasPrefix("amp;") || $0.hasPrefix("lt;") || $0.hasPrefix("gt;") || $0.hasPrefix("quot;") })
        #expect(html.contains("short"), "the first event is whole")
        let many = AlertFormat.telegramHTML((0..<200).map { Self.event("event \($0)") })
        #expect(many.utf16.count <= AlertFormat.telegramLimit && many.hasSuffix("[truncated]"))
    }

    @Test func plainTextSaysWhatHappenedInOneLine() {
        #expect(AlertFormat.plain(Self.event("monitor mismatch 6 (UNHEALTHY at ≥ 1)"))
                == "bot positions HEALTHY → UNHEALTHY: monitor mismatch 6 (UNHEALTHY at ≥ 1); rearm-monitoring")
    }

    @Test func everyTitleNamesTheWardenThatSendsIt() {
        #expect(AlertFormat.plain(Self.event("mismatch 6"), instance: "desk-7").hasPrefix("desk-7 bot positions HEALTHY → UNHEALTHY"))
        let html = AlertFormat.telegramHTML([Self.event("mismatch 6"), Self.event("again")], instance: "desk<7>")
        #expect(html.components(separatedBy: "<b>desk&lt;7&gt; · bot · positions HEALTHY → UNHEALTHY</b>").count == 3,
                "each block's title, escaped")
        let payload = WebhookPayload(id: "b1", sentAt: 1, instance: "desk-7", events: [Self.event("x")])
        #expect(String(decoding: payload.encoded(), as: UTF8.self).contains(#""instance":"desk-7""#))
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block).
    @Test(arguments: [
        ([UInt8](repeating: 0x0b, count: 20), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
        (Array("Jefe".utf8), "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
        ([UInt8](repeating: 0xaa, count: 131), "Test Using Larger Than Block-Size Key - Hash Key First",
         "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
    ])
    func hmacMatchesRFC4231(_ key: [UInt8], _ message: String, _ expected: String) {
        let mac = WebhookSignature.hmacSHA256(key: key, message: Array(message.utf8))
        #expect(mac.map { String(format: "%02x", $0) }.joined() == expected)
    }

    @Test func signaturesFollowStandardWebhooks() {
        // The Standard Webhooks reference example.
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330,
                                              body: Data(#"{"test": 2432232314}"#.utf8),
                                              secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }
}

/// Which unplanned exits are told one by one, and which are counted into the next message.
struct RestartBurstTests {
    @Test func aBurstIsOneMessageAndTheNextCountsWhatWasHeldBack() {
        var burst = RestartBurst(burst: .seconds(600))
        #expect(burst.exit(at: 0) == 0, "the first exit is told at once")
        #expect(burst.exit(at: 5) == nil)
        #expect(burst.exit(at: 599) == nil)
        #expect(burst.exit(at: 601) == 2, "the next message says two exits were held back")
        #expect(burst.exit(at: 1300) == 0)
        var everyOne = RestartBurst(burst: .zero)
        #expect([0.0, 0.1, 0.2].map { everyOne.exit(at: $0) } == [0, 0, 0])
    }

    @Test func theMessageSaysHowItEndedWhenItComesBackAndWhatIsLeft() {
        let event = AlertEvent.restart(engine: "bot", failure: "killed by SIGKILL after 2h 3m", delay: 1,
                                       budgetLeft: 9, budget: RestartBudget(limit: 10, window: .seconds(3600)),
                                       heldBack: 3, level: .degraded, at: 0)
        #expect(AlertFormat.plain(event, instance: "host-1") == "host-1 bot process restarted: killed by SIGKILL after 2h 3m; "
                + "restarting in 1s, 9 of 10 restarts left within 1h; 3 earlier exits of this burst not told one by one")
        #expect(event.kind == .restart && event.level == .degraded)
    }
}
