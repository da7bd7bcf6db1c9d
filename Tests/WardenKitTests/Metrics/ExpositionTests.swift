import Foundation
import Testing
@testable import WardenKit

struct ExpositionTests {
    @Test func labelValuesAndHelpAreEscaped() {
        let family = MetricFamily(name: "warden_test", kind: .gauge, help: "Back\\slash and\nnewline.", labels: ["engine"])
        var writer = ExpositionWriter()
        writer.write(family, [.init(["a\"b\\c\nd"], 1.5)])
        #expect(writer.output == """
            # HELP warden_test Back\\\\slash and\\nnewline.
            # TYPE warden_test gauge
            warden_test{engine="a\\"b\\\\c\\nd"} 1.5

            """)
    }

    @Test func valuesUseThePrometheusSpelling() {
        #expect(ExpositionWriter.format(3) == "3")
        #expect(ExpositionWriter.format(-0.25) == "-0.25")
        #expect(ExpositionWriter.format(.nan) == "NaN")
        #expect(ExpositionWriter.format(.infinity) == "+Inf")
        #expect(ExpositionWriter.format(-.infinity) == "-Inf")
        #expect(ExpositionWriter.format(1e20) == "1e+20")
    }

    /// Counts are written digit by digit; everything else as `format` spells it.
    @Test func samplesCarryTheirValuesExactly() {
        let family = MetricFamily(name: "warden_test", kind: .gauge, help: "Values.", labels: ["v"])
        let values: [Double] = [0, 7, -42, 999_999_999_999_999, 0.5, -0.0, 1e15, .nan, -.infinity, 1_700_000_000.25]
        var writer = ExpositionWriter()
        writer.write(family, values.enumerated().map { .init(["\($0.offset)"], $0.element) })
        let written = writer.output.split(separator: "\n").dropFirst(2).map { $0.split(separator: " ").last.map(String.init) }
        #expect(written == ["0", "7", "-42", "999999999999999", "0.5", "0", "1000000000000000.0", "NaN", "-Inf", "1700000000.25"])
    }

    @Test func familiesWithoutSamplesAreLeftOut() {
        var writer = ExpositionWriter()
        writer.write(Catalog.engineUp, [])
        #expect(writer.output.isEmpty)
    }

    @Test func theCatalogFollowsPrometheusNaming() {
        var names = Set<String>()
        for family in Catalog.all {
            #expect(names.insert(family.name).inserted, "\(family.name) is declared twice")
            #expect(family.name.allSatisfy { $0.isLowercase || $0 == "_" || $0.isNumber })
            #expect((family.kind == .counter) == family.name.hasSuffix("_total"), "\(family.name)")
            #expect(!family.help.isEmpty)
        }
    }

    @Test func constantTimeComparisonAndAuthOutcomes() {
        let auth = AdminAuth(token: "s3cret")
        #expect(auth.check(authorization: "Bearer s3cret") == .allowed)
        #expect(auth.check(authorization: "Bearer s3cre") == .denied)
        #expect(auth.check(authorization: "Bearer s3cret2") == .denied)
        #expect(auth.check(authorization: "Basic s3cret") == .denied)
        #expect(auth.check(authorization: nil) == .denied)
        #expect(AdminAuth(token: nil).check(authorization: "Bearer x") == .disabled)
        // Lengths 256 apart must not look equal, nor a token padded with NUL bytes match.
        #expect(!AdminAuth.constantTimeEqual(Array("a".utf8), Array("a".utf8) + [UInt8](repeating: 0, count: 256)))
        #expect(!AdminAuth.constantTimeEqual([], [0]))
    }

    /// Each engine's counter lines are kept between scrapes, and written anew as soon as a counter moves.
    @Test func aScrapeShowsCountersAsTheyAreNow() throws {
        let engine = try ConfigLoader().parse("engines:\n  - {name: bot, command: [/bin/true]}", file: "t.yml",
                                              baseDirectory: "/").engines[0]
        let board = StatusBoard(engines: [engine])
        let metrics = WardenMetrics(version: "test", board: board, store: nil, system: ProcSystem())
        func value(_ series: String) -> String? {
            metrics.render().split(separator: "\n").first { $0.hasPrefix(series + " ") }.map { String($0.split(separator: " ")[1]) }
        }
        let crashes = #"warden_engine_restarts_total{engine="bot",reason="exit"}"#
        let unhealthy = #"warden_health_transitions_total{engine="bot",component="positions",to="UNHEALTHY"}"#
        #expect(value(crashes) == "0")
        #expect(value(unhealthy) == nil, "no component judged yet")
        board.update("bot") {
            $0.restartCounts[.exit] = 2
            var positions = ComponentHealth(now: 0)
            positions.level = .unhealthy
            $0.health.components[.positions] = positions
            $0.health.transitionCounts[.positions] = [.unhealthy: 1]
        }
        #expect(value(crashes) == "2")
        #expect(value(unhealthy) == "1")
        board.update("bot") { $0.health.transitionCounts[.positions]?[.unhealthy] = 3 }
        #expect(value(unhealthy) == "3")
        #expect(value(#"warden_health_level{engine="bot",component="positions"}"#) == "2")
        let restarted = #"warden_remediations_total{engine="bot",action="restart",result="success"}"#
        #expect(value(restarted) == nil, "no action taken yet")
        board.update("bot") { $0.remediation.counts["restart"] = [.success: 1] }
        #expect(value(restarted) == "1")
        board.update("bot") { $0.remediation.counts["restart"]?[.success] = 2 }
        #expect(value(restarted) == "2")
    }

    /// Everything a scrape shows of a busy fleet, byte for byte as `exposition.txt` has it: every kind of source
    /// (probes, a pushed report gone stale, log rules, a reading with ages, levels, counters, a stopped engine,
    /// alerts), Warden's own `process_*` lines aside (they describe the test process). A second scrape, with the
    /// kept lines, writes the same.
    @Test func aScrapeWritesEverySourceAsBefore() throws {
        let config = try ConfigLoader().parse("""
            engines:
              - {name: bot, command: [/bin/true]}
              - {name: spare, command: [/bin/true]}
            """, file: "t.yml", baseDirectory: "/")
        let board = StatusBoard(engines: config.engines)
        let now = 1_700_000_100.5
        board.update("bot") { status in
            status.state = .running(pid: 4242, since: 1_700_000_000.25)
            status.restartCounts = [.exit: 2, .health: 1]
            status.resources = ResourceSample(cpuSeconds: 12.5, residentBytes: 104_857_600, memoryRatio: 0.0125, threads: 11,
                                              openFDs: 26, processes: 2, sampledAt: now - 1)
            status.observations.probes = [
                "status": ProbeOutcome(success: true, durationSeconds: 0.0123, at: now - 2, failure: nil, output: .json(.object([:]))),
                "db": ProbeOutcome(success: false, durationSeconds: 0.5, at: now - 3, failure: "locked", output: .none),
                "wal": ProbeOutcome(success: true, durationSeconds: 0.000008, at: now - 4, failure: nil, output: .fileAge(10)),
                "report": ProbeOutcome(success: true, durationSeconds: 0, at: now - 60, failure: nil, output: .json(.object([:])),
                                       expiresAt: now - 30),
            ]
            status.observations.logs.counts = ["broker_refused": 3, "errors": 0]
            status.observations.logs.lastMatch = ["decision": now - 1.75]
            status.health.reading = EngineReading(at: now - 5, values: [
                CheckValue(Catalog.openPositions, 4),
                CheckValue(Catalog.decisionAge, 2.5, feeds: .value(.decisionAge)),
                CheckValue(Catalog.websocketLag, ["market"], 0.25, feeds: .value(.websocketLag)),
                CheckValue(Catalog.websocketLag, ["odd \"stream\" \\ name\n"], 1, feeds: .value(.websocketLag)),
                CheckValue(Catalog.pnlSourceUp, ["mark"], 1),
                CheckValue(Catalog.pnlSourceUp, ["last"], 0),
                CheckValue(Catalog.lockContention, ["busy"], 7, feeds: .ratePerMinute(.lockContention)),
                CheckValue(Catalog.pnlDeviation, 0.000562445),
                CheckValue(Catalog.overdueMaxAge, -1e20),
                .judged(.apiFailures, 3),
            ])
            status.health.evaluatedAt = now - 5
            var positions = ComponentHealth(now: 0)
            positions.level = .unhealthy
            status.health.components = [.positions: positions, .process: ComponentHealth(now: 0)]
            status.health.level = .unhealthy
            status.health.transitionCounts = [.positions: [.unhealthy: 1, .degraded: 2]]
            status.remediation.counts = ["restart": [.success: 1], "signal": [.suppressed: 2]]
        }
        board.update("spare") { status in
            status.state = .backoff(until: now + 7.5, reason: .exit)
            status.resources = ResourceSample(cpuSeconds: 0.75, residentBytes: 0, memoryRatio: 0, threads: 0, openFDs: 0,
                                              processes: 0, sampledAt: now - 1)
        }
        let alerts = AlertStats(channels: ["ops"])
        alerts.count("ops", "delivered", 2)
        let metrics = WardenMetrics(version: "1.2.3", revision: "1a2b3c4", instance: "desk-7", board: board, store: nil, system: ProcSystem(),
                                    actionKinds: { ["bot": ["restart", "http"]] }, alertStats: alerts)
        func shown() -> String {
            metrics.render(now: now).split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.contains("process_") }.joined(separator: "\n")
        }
        let expected = try String(contentsOfFile: Repository.root + "/Tests/WardenKitTests/Metrics/exposition.txt", encoding: .utf8)
        let first = shown()
        #expect(first == expected)
        #expect(shown() == expected)
    }
}
