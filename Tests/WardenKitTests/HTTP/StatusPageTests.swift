import Foundation
import Testing
@testable import WardenKit

/// The HTML of `GET /`, rendered from hostile inputs.
struct StatusPageTests {
    static func engine(_ name: String, level: HealthLevel, reason: String) -> EngineStatus {
        var status = EngineStatus(name: name, budget: .init(limit: 10, window: .seconds(3600)))
        status.state = .running(pid: 4242, since: 1000)
        var component = ComponentHealth(now: 1000)
        component.level = level
        component.reading = Reading([Finding(check: .monitorMismatch, level: level, value: 6, threshold: 1, message: reason)])
        status.health.components = [.positions: component]
        status.health.level = level
        status.health.evaluatedAt = 1100
        status.health.recentTransitions = [HealthTransition(component: .positions, from: .healthy, to: level, at: 1050,
                                                            finding: component.reading?.worst)]
        status.health.trend = (0..<30).map { TrendPoint(at: 1000 + Double($0) * 10, decisionAge: Double($0 % 7),
                                                         websocketLag: 1, memoryRatio: 0.02, mismatch: $0 > 20 ? 6 : 0) }
        return status
    }

    static func page(_ engines: [EngineStatus]) -> String {
        let document = StatusDocument(version: "0.1.0", ready: true, now: 1100, engines: engines)
        return StatusPage.render(.init(document: document, trends: Dictionary(uniqueKeysWithValues: engines.map { ($0.name, $0.health.trend) }),
                                       alerts: [AlertStats.Recent(channel: "tg", text: "bot <b>x</b> & 'y'", result: "delivered", at: 1090)]))
    }

    @Test func whateverTheEngineSaysIsEscaped() {
        let html = Self.page([Self.engine("bot\"><script>alert(1)</script>", level: .unhealthy,
                                          reason: "<img src=x onerror=alert(2)> & 'quotes'")])
        #expect(!html.contains("<script>alert") && !html.contains("<img"))
        #expect(html.contains("bot&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("&lt;img src=x onerror=alert(2)&gt; &amp; &#39;quotes&#39;"))
        #expect(html.contains("bot &lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"))
        // Only Warden's own script block.
        #expect(html.components(separatedBy: "<script>").count == 2)
    }

    @Test(arguments: HealthLevel.allCases)
    func everyLevelHasItsColourAndWord(_ level: HealthLevel) {
        let html = Self.page([Self.engine("bot", level: level, reason: "monitor mismatch 6")])
        #expect(html.contains("<span class=\"level\" style=\"background:\(StatusPage.colors[level]!)\">\(level.name)</span>"))
        #expect(html.contains("data-component=\"positions\" data-level=\"\(level.name)\""))
        #expect(html.contains("<title>\(level.name) · Warden</title>"), "the tab says how things are")
    }

    @Test func theWorstComponentComesFirst() {
        var status = Self.engine("bot", level: .degraded, reason: "x")
        var bad = ComponentHealth(now: 1000)
        bad.level = .critical
        status.health.components[.websocket] = bad
        var fine = ComponentHealth(now: 1000)
        fine.level = .healthy
        status.health.components[.api] = fine
        let html = Self.page([status])
        let order = ["websocket", "positions", "api"].map { html.range(of: "data-component=\"\($0)\"")!.lowerBound }
        #expect(order == order.sorted())
    }

    @Test func thePageIsSelfContainedReadableOnAPhoneAndHasSparklines() {
        let html = Self.page([Self.engine("bot", level: .healthy, reason: "monitor mismatch 0")])
        #expect(html.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("src="), "no external asset")
        #expect(html.components(separatedBy: "<polyline").count == 5, "decision age, WebSocket lag, memory, mismatch")
        #expect(html.contains("mismatch <b>6</b>") && html.contains("memory <b>2%</b>"))
        #expect(html.contains("data-restart=\"bot\"") && html.contains("prompt('Admin token"), "the token is asked for, not embedded")
        #expect(html.contains("pid 4242") && html.contains("budget left 10 of 10"))
    }
}
