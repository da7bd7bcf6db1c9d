import Foundation
import Testing
@testable import WardenKit

/// What the status shows is true when it is read: a component's value follows the metric through an incident,
/// and what set its level is shown apart, with its own time.
struct StatusTruthTests {
    @Test func aComponentsValueFollowsTheMetricAndWhatSetTheLevelIsShownApart() async throws {
        let demo = try await DemoWarden.start()
        defer { demo.stop() }
        let series = #"warden_websocket_lag_seconds{engine="demo",stream="market"}"#
        try await demo.fault("stale_ws")
        let raised = try await demo.waitFor("websocket", .unhealthy)
        let cause = try #require(raised.cause, "an UNHEALTHY component says what set it")
        #expect(cause.at == raised.since)
        #expect(cause.reason.contains("UNHEALTHY at ≥"), "\(cause.reason)")

        var pairs: [(status: Double, metric: Double)] = []
        for _ in 0..<3 {
            guard let now = try await demo.component("websocket"), now.level == .unhealthy,
                  let shown = now.value, let scraped = metric(try await demo.warden.metrics(), series) else { break }
            pairs.append((shown, scraped))
            #expect(now.cause?.value == cause.value, "what set the level stays as it read then")
            try await Task.sleep(for: .milliseconds(800))
        }
        try #require(pairs.count == 3, "the incident lasted through three looks")
        for pair in pairs {
            // Read a moment apart: the metric, read second, is as old or a little older.
            #expect(pair.metric >= pair.status - 0.05 && pair.metric - pair.status < 1, "status \(pair.status), metric \(pair.metric)")
        }
        #expect(pairs[2].status > pairs[0].status + 1, "the value grows with the lag: \(pairs.map(\.status))")
        #expect(pairs[2].status > cause.value ?? .infinity, "the value now is not the value that set the level")

        let page = try await http(demo.warden.base + "/").body
        #expect(page.contains("set by websocket lag (market)"), "the page shows what set the level apart")
    }
}
