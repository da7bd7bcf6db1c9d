import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Judges every engine at its `evaluate_every`: readings from the latest observations, the hysteresis, then
/// the remediation planner. Publishes the result to the status board, stores each transition, and hands
/// actions to the remediator.
public struct HealthMonitor: Service {
    let engines: [EngineConfig]
    let board: StatusBoard
    let store: WardenStore?
    let remediator: Remediator
    let logger: Logger
    /// Each engine's policy actions from the audit, by policy name: budgets and cooldowns carry over.
    let priorActions: [String: [String: [Double]]]
    let router: AlertRouter
    let repeatInterval: Duration
    /// Rung when a probe of the engine has published an outcome (`freshInput(for:)`).
    let doorbells: [String: Doorbell]

    public init(engines: [EngineConfig], board: StatusBoard, store: WardenStore?, remediator: Remediator, logger: Logger,
                priorActions: [(engine: String, source: String, at: Double)] = [],
                router: AlertRouter = AlertRouter(channels: []), repeatInterval: Duration = .seconds(3600)) {
        self.engines = engines
        self.board = board
        self.store = store
        self.remediator = remediator
        self.logger = logger
        self.router = router
        self.repeatInterval = repeatInterval
        var prior: [String: [String: [Double]]] = [:]
        for action in priorActions where action.source.hasPrefix("policy ") {
            prior[action.engine, default: [:]][String(action.source.dropFirst("policy ".count)), default: []].append(action.at)
        }
        self.priorActions = prior
        doorbells = Dictionary(uniqueKeysWithValues: engines.map { ($0.name, Doorbell()) })
    }

    /// A probe of `engine` has a new outcome: its judge looks at once whether a raw level moved, and if one did,
    /// evaluates before its tick. A fault is then judged as soon as it is seen, not up to `evaluate_every` later.
    public func freshInput(for engine: String) {
        doorbells[engine]?.ring()
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            for engine in engines {
                group.addTask { await EngineJudge(engine: engine, monitor: self).loop() }
            }
        }
    }
}

/// The evaluation loop of one engine; owns its tracker and planner, and lives in that loop's task only.
private final class EngineJudge {
    let engine: EngineConfig
    let monitor: HealthMonitor
    let evaluator: HealthEvaluator
    var tracker: HealthTracker
    var planner: RemediationPlanner
    var previousCPU: (seconds: Double, at: Double)?
    var contentionHistory: [(total: Double, at: Double)] = []
    var reminders: ReminderSchedule
    /// Results of finished actions, handed back to the planner at the next evaluation.
    let finished = FinishedActions()
    /// The moment a growing age reaches its next bound (see `HealthEvaluator.nextCrossing`), if before the next tick.
    var crossingAt: Double?

    init(engine: EngineConfig, monitor: HealthMonitor) {
        self.engine = engine
        self.monitor = monitor
        evaluator = HealthEvaluator(settings: engine.health, watch: engine.watch)
        tracker = HealthTracker(settings: engine.health)
        planner = RemediationPlanner(engine: engine.name, policies: engine.remediation.policies,
                                     tick: engine.health.evaluateEvery, priorActions: monitor.priorActions[engine.name] ?? [:])
        reminders = ReminderSchedule(interval: monitor.repeatInterval)
    }

    /// Evaluates at every tick (`evaluate_every` after the previous evaluation), when a growing age reaches its
    /// next bound, and when fresh input moves a raw level; otherwise sleeps until rung or due.
    func loop() async {
        let interval = engine.health.evaluateEvery
        let (rings, wake) = (monitor.doorbells[engine.name] ?? Doorbell()).subscribe()
        var iterator = rings.makeAsyncIterator()
        // Ticks on the monotonic clock: a wall clock stepped back must not hold the judge.
        var due = ContinuousClock.now
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let now = Date().timeIntervalSince1970
            if ContinuousClock.now >= due || now >= crossingAt ?? .infinity || freshInputMoved(now: now) {
                await evaluate(now: now)
                due = ContinuousClock.now + interval
            }
            let untilTick = max(due - ContinuousClock.now, .zero)
            let pause = HealthEvaluator.pause(untilTick, until: crossingAt, now: Date().timeIntervalSince1970)
            let timer = Task {
                // A cancelled timer (the judge was rung first) must not ring: that would wake the next wait.
                guard (try? await Task.sleep(for: pause)) != nil else { return }
                wake.yield(())
            }
            await withGracefulShutdownHandler {
                _ = await iterator.next()
            } onGracefulShutdown: {
                wake.yield(())
            }
            timer.cancel()
        }
    }

    /// A look at the latest observations without judging them (no counters, no hysteresis).
    func freshInputMoved(now: Double) -> Bool {
        guard let (status, samples) = observe(now: now) else { return false }
        return tracker.moved(evaluator.readings(status, samples: samples, now: now))
    }

    /// The engine's status and its checks' samples as of `now`: what an evaluation, or a look, starts from.
    private func observe(now: Double) -> (EngineStatus, [CheckSample])? {
        guard let status = monitor.board.status(of: engine.name) else { return nil }
        let observations = status.currentObservations(now: now)
        return (status, engine.watch.checks.flatMap { $0.samples(observations, now: now) })
    }

    func evaluate(now: Double) async {
        let remediator = monitor.remediator
        crossingAt = nil
        for done in finished.take() {
            planner.finished(policy: done.policy, result: done.result)
        }
        guard let (status, samples) = observe(now: now) else { return }
        let contention = samples.filter { $0.family == Catalog.lockContention }.map(\.value)
        let rates = HealthEvaluator.Rates(cpu: cpuRatio(status.resources),
                                          lockContention: contention.isEmpty ? nil : contentionRate(contention.reduce(0, +), now: now))
        let inputs = evaluator.readings(status, samples: samples, rates: rates, now: now)
        crossingAt = evaluator.nextCrossing(inputs, now: now)
        var transitions = tracker.evaluate(inputs, now: now)
        // The planner decides on fresh readings only: neither a held component nor one whose inputs are missing.
        let judged = Set(inputs.compactMap { component, input in if case .reading = input { component } else { nil } })
        let decisions = remediator.global.withLock {
            planner.evaluate(tracker.components, judged: judged, now: now, global: &$0)
        }
        var launches: [(policy: Int, incident: Incident)] = []
        for decision in decisions {
            if case .act(let index, let incident) = decision {
                launches.append((index, incident))
            } else if let transition = await handle(decision, now: now) {
                transitions.append(transition)
            }
        }
        for transition in transitions { log(transition) }
        await monitor.store?.record(engine: engine.name, transitions: transitions,
                                    alerts: monitor.router.route(alertEvents(transitions, now: now)))
        // Actions start once their cause is on record: people hear "UNHEALTHY" before "restarted".
        for launch in launches {
            let action = planner.policies[launch.policy].ladder[launch.incident.rung].action
            monitor.remediator.launch(action, for: launch.incident) { [finished] result in finished.add(launch.policy, result) }
        }
        let components = tracker.components
        let level = tracker.level
        let exhausted = planner.exhausted.map(\.name)
        let point = TrendPoint(at: now, samples: samples, resources: status.isUp ? status.resources : nil)
        monitor.board.update(engine.name) { status in
            status.health.components = components
            status.health.level = level
            status.health.evaluatedAt = now
            status.health.trend.removeAll { $0.at < now - EngineHealth.trendSpan }
            status.health.trend.append(point)
            for transition in transitions {
                status.health.transitionCounts[transition.component, default: [:]][transition.to, default: 0] += 1
            }
            status.health.recentTransitions = Array((transitions.reversed() + status.health.recentTransitions).prefix(20))
            status.remediation.exhausted = exhausted
        }
    }

    /// What people hear of this evaluation: each transition (with the policy that will act on it), and a
    /// reminder for each problem that has gone on for `repeat_interval`.
    private func alertEvents(_ transitions: [HealthTransition], now: Double) -> [AlertEvent] {
        let policies = planner.policies
        var events = transitions.map { transition in
            let acting = transition.to > transition.from
                ? policies.filter { $0.component == transition.component && transition.to >= $0.level }.map(\.name) : []
            return AlertEvent.transition(transition, engine: engine.name,
                                         policy: acting.isEmpty ? nil : "Warden acts: " + acting.joined(separator: ", "))
        }
        for component in reminders.due(tracker.components, transitions: transitions, now: now) {
            guard let state = tracker.components[component] else { continue }
            let finding = state.reading?.worst
            events.append(AlertEvent(kind: .reminder, engine: engine.name, component: component.rawValue, level: state.level,
                                     reason: (finding?.message ?? state.level.name)
                                         + " (since \(AlertFormat.timestamp(state.since)))",
                                     value: finding?.value, threshold: finding?.threshold, at: now))
        }
        return events
    }

    /// CPU seconds per second of the engine's tree between the two latest resource samples.
    private func cpuRatio(_ sample: ResourceSample?) -> Double? {
        guard let sample else { return nil }
        defer { if previousCPU?.at != sample.sampledAt { previousCPU = (sample.cpuSeconds, sample.sampledAt) } }
        guard let previous = previousCPU, sample.sampledAt > previous.at, sample.cpuSeconds >= previous.seconds else {
            return nil
        }
        return (sample.cpuSeconds - previous.seconds) / (sample.sampledAt - previous.at)
    }

    /// Contention outcomes per minute over the last six evaluations (contention comes in bursts; one
    /// evaluation's worth of it is mostly zeros). nil until there are two points, and after the counter went
    /// backwards (the engine's history was reset).
    private func contentionRate(_ total: Double, now: Double) -> Double? {
        if let last = contentionHistory.last, total < last.total { contentionHistory = [] }
        contentionHistory.append((total, now))
        if contentionHistory.count > 7 { contentionHistory.removeFirst() }
        guard let oldest = contentionHistory.first, now > oldest.at else { return nil }
        return (total - oldest.total) / (now - oldest.at) * 60
    }

    private func handle(_ decision: RemediationPlanner.Decision, now: Double) async -> HealthTransition? {
        let remediator = monitor.remediator
        var metadata: Logger.Metadata = ["engine": "\(engine.name)"]
        switch decision {
        case .act:
            break   // launched by `evaluate` after the transitions are recorded
        case .suppressed(let index, let incident, let why):
            let action = planner.policies[index].ladder[incident.rung].action
            await remediator.record(incident, action: action, ActionOutcome(.suppressed, why))
        case .resolved(let index, let incident):
            metadata["policy"] = "\(planner.policies[index].name)"
            metadata["rung"] = "\(incident.rung + 1)"
            metadata["action"] = "\(planner.policies[index].ladder[incident.rung].action.kind)"
            monitor.logger.notice("the condition cleared after the remediation", metadata: metadata)
        case .gaveUp(let index, let incident):
            let policy = planner.policies[index]
            let steps = policy.ladder.map(\.action.kind).joined(separator: ", then ")
            let finding = Finding(check: .remediationExhausted, level: .critical, value: nil, threshold: nil,
                                  subject: policy.name,
                                  message: "policy \(policy.name) tried \(steps) and \(incident.reason) remains: Warden stops acting; a human is needed")
            metadata["policy"] = "\(policy.name)"
            monitor.logger.critical("\(finding.message)", metadata: metadata)
            return tracker.pin(policy.component, finding, now: now)
        case .recovered(let index, _):
            let policy = planner.policies[index]
            if !planner.exhausted.contains(where: { $0.component == policy.component }) { tracker.unpin(policy.component) }
            metadata["policy"] = "\(policy.name)"
            monitor.logger.notice("the condition cleared after Warden had given up", metadata: metadata)
        }
        return nil
    }

    private func log(_ transition: HealthTransition) {
        let metadata: Logger.Metadata = [
            "engine": "\(engine.name)", "component": "\(transition.component.rawValue)",
            "from": "\(transition.from.name)", "to": "\(transition.to.name)",
        ]
        let text = "health \(transition.component.rawValue) \(transition.from.name) → \(transition.to.name): \(transition.reason)"
        if transition.to > transition.from && transition.to >= .unhealthy {
            monitor.logger.warning("\(text)", metadata: metadata)
        } else {
            monitor.logger.info("\(text)", metadata: metadata)
        }
    }
}

/// Results of actions that ended, waiting for the next evaluation.
private final class FinishedActions: Sendable {
    private let list = Mutex<[(policy: Int, result: ActionResult)]>([])

    func add(_ policy: Int, _ result: ActionResult) {
        list.withLock { $0.append((policy, result)) }
    }

    func take() -> [(policy: Int, result: ActionResult)] {
        list.withLock { list in
            defer { list = [] }
            return list
        }
    }
}
