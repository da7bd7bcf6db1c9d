import Testing
@testable import WardenKit

/// The remediation rules without I/O: ladder, verification, cooldown, budgets, deferral.
struct RemediationPlannerTests {
    struct Noop: RemediationAction {
        var kind: String
        var summary: String { kind }
        func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome { ActionOutcome(.success, "") }
    }

    static func policy(ladder: [String] = ["http", "restart"], verifyAfter: Int = 2, cooldown: Duration = .seconds(300),
                       budget: Int = 10, holdFor: Duration = .zero) -> RemediationPolicy {
        RemediationPolicy(name: "rearm", component: .positions, checks: [.monitorMismatch], level: .unhealthy,
                          holdFor: holdFor, ladder: ladder.map { Rung(action: Noop(kind: $0), verifyAfter: verifyAfter) },
                          cooldown: cooldown, budget: .init(limit: budget, window: .seconds(3600)))
    }

    /// Drives one policy with the positions component at `level`, the mismatch `bad` or not.
    struct Driver {
        var planner: RemediationPlanner
        var global = BudgetLedger(budget: .init(limit: 100, window: .seconds(3600)))
        var now = 0.0

        init(_ policy: RemediationPolicy) { planner = RemediationPlanner(engine: "bot", policies: [policy]) }

        /// One evaluation `after` seconds after the previous one (a tick of the default 10 s).
        mutating func step(bad: Bool, level: HealthLevel? = nil, judged: Bool = true, after: Double = 10) -> [String] {
            now += after
            var health = ComponentHealth(now: 0)
            health.level = level ?? (bad ? .unhealthy : .healthy)
            health.reading = Reading([.judged(.monitorMismatch, bad ? 6 : 0, Threshold(unhealthy: 1))])
            return planner.evaluate([.positions: health], judged: judged ? [.positions] : [], now: now, global: &global)
                .map(Self.describe)
        }

        mutating func finish(_ result: ActionResult) {
            planner.finished(policy: 0, result: result)
        }

        static func describe(_ decision: RemediationPlanner.Decision) -> String {
            switch decision {
            case .act(_, let incident): "act \(incident.rung)"
            case .suppressed(_, _, let why): "suppressed \(why.prefix(while: { $0 != ":" }))"
            case .resolved(_, let incident): "resolved \(incident.rung)"
            case .gaveUp: "gave up"
            case .recovered: "recovered"
            }
        }
    }

    /// Actions use the incident id as their idempotency key (`WARDEN_INCIDENT_ID`, `X-Warden-Incident`): a
    /// Warden killed and restarted within the second must not give its next decision the same id.
    @Test func aRestartedWardensDecisionsGetIdsOfTheirOwn() {
        func firstIncident(at now: Double) -> String? {
            var planner = RemediationPlanner(engine: "bot", policies: [Self.policy()])
            var global = BudgetLedger(budget: .init(limit: 100, window: .seconds(3600)))
            var health = ComponentHealth(now: now)
            health.level = .unhealthy
            health.reading = Reading([.judged(.monitorMismatch, 6, Threshold(unhealthy: 1))])
            guard case .act(_, let incident)? = planner.evaluate([.positions: health], judged: [.positions], now: now,
                                                                  global: &global).first else { return nil }
            return incident.id
        }
        let (before, after) = (firstIncident(at: 1_795_283_537.2), firstIncident(at: 1_795_283_537.7))
        #expect(before != nil && before != after, "\(String(describing: before)) and \(String(describing: after))")
    }

    /// `verify_after` counts ticks: a burst of early evaluations (fresh input) does not skip to the next rung.
    @Test func verificationWaitsTicksNotEvaluations() {
        var d = Driver(Self.policy(verifyAfter: 2))
        #expect(d.step(bad: true) == ["act 0"])
        d.finish(.success)
        for _ in 0..<20 { #expect(d.step(bad: true, after: 0.2) == [], "early evaluations within one tick") }
        #expect(d.step(bad: true, after: 10) == ["act 1"], "a tick later the condition still holds: next rung")
    }

    @Test func ladderEscalatesWhenTheConditionStaysAndGivesUpAtTheTop() {
        var d = Driver(Self.policy())
        #expect(d.step(bad: true) == ["act 0"])
        #expect(d.step(bad: true) == [], "nothing while the action runs")
        d.finish(.success)
        #expect(d.step(bad: true) == [])
        #expect(d.step(bad: true) == ["act 1"], "two evaluations without clearing: next rung")
        d.finish(.success)
        #expect(d.step(bad: true) == [])
        #expect(d.step(bad: true) == ["gave up"])
        #expect(d.planner.exhausted.map(\.component) == [.positions])
        for _ in 0..<5 { #expect(d.step(bad: true) == [], "no action after giving up") }
        #expect(d.step(bad: false, level: .critical) == ["recovered"])
        #expect(d.planner.exhausted.isEmpty)
    }

    @Test func aClearedConditionResolvesTheIncidentAndTheCooldownHoldsTheNextOne() {
        var d = Driver(Self.policy(cooldown: .seconds(60)))
        #expect(d.step(bad: true) == ["act 0"])
        d.finish(.success)
        #expect(d.step(bad: false, level: .unhealthy) == ["resolved 0"], "the raw value cleared: hysteresis is not waited for")
        #expect(d.step(bad: true) == ["suppressed cooldown"])
        #expect(d.step(bad: true) == [], "said once")
        #expect(d.step(bad: true) == [])
        #expect(d.step(bad: true) == [])
        #expect(d.step(bad: true) == ["act 0"], "60 s after the first action")
    }

    @Test func aFailedActionEscalatesAtOnce() {
        var d = Driver(Self.policy(verifyAfter: 5))
        #expect(d.step(bad: true) == ["act 0"])
        d.finish(.failure)
        #expect(d.step(bad: true) == ["act 1"])
    }

    @Test func aBudgetSpentHalfwayUpTheLadderHoldsTheRungAndSaysSoOnce() {
        var d = Driver(Self.policy(ladder: ["http", "restart"], verifyAfter: 1, budget: 100))
        d.global = BudgetLedger(budget: .init(limit: 1, window: .seconds(60)))
        #expect(d.step(bad: true) == ["act 0"])
        d.finish(.success)
        #expect(d.step(bad: true) == ["suppressed Warden's remediation budget spent"])
        for _ in 0..<4 { #expect(d.step(bad: true) == [], "audited once, not every evaluation") }
        // The window slides past the first action: the rung that was held back runs now.
        #expect(d.step(bad: true) == ["act 1"])
        #expect(d.planner.states[0].incident?.rung == 1)
    }

    @Test func budgetsAndCooldownsSurviveARestartOfWarden() {
        var d = Driver(Self.policy(cooldown: .seconds(300), budget: 2))
        d.planner = RemediationPlanner(engine: "bot", policies: [Self.policy(cooldown: .seconds(300), budget: 2)],
                                       priorActions: ["rearm": [-100, 5]])
        #expect(d.step(bad: true) == ["suppressed cooldown"], "the last action 5 s before the restart still counts")
        d.now = 400
        #expect(d.step(bad: true) == ["suppressed policy budget spent"], "two actions within the hour already")
    }

    @Test func budgetsStopAStormWhateverTheInput() {
        var d = Driver(Self.policy(ladder: ["http"], verifyAfter: 1, cooldown: .zero, budget: 3))
        var acted = 0
        var suppressed = 0
        // The condition flaps every evaluation for an hour of evaluations.
        for i in 0..<360 {
            for decision in d.step(bad: i % 2 == 0) {
                if decision.hasPrefix("act") { acted += 1; d.finish(.success) }
                if decision.hasPrefix("suppressed") { suppressed += 1 }
            }
        }
        #expect(acted == 3, "the policy budget: 3 per hour")
        #expect(suppressed == 1, "said once until the policy acts again, not at every flap")

        var global = Driver(Self.policy(ladder: ["http"], verifyAfter: 1, cooldown: .zero, budget: 100))
        global.global = BudgetLedger(budget: .init(limit: 2, window: .seconds(3600)))
        var globalActs = 0
        for i in 0..<100 {
            for decision in global.step(bad: i % 2 == 0) where decision.hasPrefix("act") {
                globalActs += 1
                global.finish(.success)
            }
        }
        #expect(globalActs == 2, "Warden's own budget caps every policy together")
    }

    @Test func holdTimeAndStableLevelGateTheFirstAction() {
        var d = Driver(Self.policy(holdFor: .seconds(25)))
        #expect(d.step(bad: true, level: .healthy) == [], "raw bad but hysteresis not yet convinced")
        #expect(d.step(bad: true) == [])
        #expect(d.step(bad: true) == [])
        #expect(d.step(bad: true, judged: false) == [], "not judged: no decision")
        #expect(d.step(bad: true) == ["act 0"], "held 30 s ≥ 25 s")
    }

    /// Budgets and cooldowns continue after a restart of Warden from the audit's text: each source reads back as
    /// the one that wrote it, whatever its name holds.
    @Test func auditedSourcesReadBackAsTheyWereWritten() {
        for source: ActionSource in [.policy("rearm-monitoring"), .alertmanager("WardenWebSocketStale"), .policy("two words")] {
            #expect(ActionSource(audited: source.description) == source)
        }
        #expect(ActionSource(audited: "policy") == nil)
        #expect(ActionSource(audited: "manual restart") == nil)
        #expect(ActionSource.alertmanager("X").restartReason == .remediation)
        #expect(ActionSource.policy("X").restartReason == .health)
    }

    /// An alert says "Warden acts" only for policies whose checks the rise is about: unprotected positions do not
    /// announce the policy that re-arms lost monitors, though both watch the positions component.
    @Test func aPolicyReactsOnlyToItsOwnChecksAtItsLevel() {
        let rearm = RemediationPolicy(name: "rearm", component: .positions, checks: [.monitorMismatch], level: .unhealthy,
                                      ladder: [], cooldown: .seconds(60), budget: .init(limit: 3, window: .seconds(3600)))
        let unprotected = Reading([Finding.judged(.unprotectedPositions, 2, HealthCheck.unprotectedPositions.defaultThreshold)])
        let mismatch = Reading([Finding.judged(.monitorMismatch, 2, HealthCheck.monitorMismatch.defaultThreshold)])
        #expect(!rearm.reacts(to: .critical, reading: unprotected))
        #expect(rearm.reacts(to: .unhealthy, reading: mismatch))
        #expect(!rearm.reacts(to: .degraded, reading: mismatch), "below the policy's level")
        var any = rearm
        any.checks = []
        #expect(any.reacts(to: .critical, reading: unprotected), "a policy without checks reacts to any of its component")
    }
}
