import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Runs one judge per engine: it reads the engine when there is news of it, judges the reading (evaluator,
/// then hysteresis) at its ticks and whenever a raw level moves, hands the judgement to the engine's policies,
/// stores each transition with its alerts, and publishes the reading and levels to the status board.
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
    /// Each judge beats at every turn; it turns at least once per `evaluate_every`.
    let liveness: Liveness?
    /// Where each judge leaves its memory when it ends, and takes its predecessor's when it starts.
    let memory: Handover<JudgeMemory>?
    /// Engines whose watching, judging or repair a reload changed: their judges keep the levels only.
    let rewatched: Set<String>
    /// Engines a person is working on: judged and shown, but no policy acts and nobody is told of levels.
    let maintenance: MaintenanceDesk?

    public init(engines: [EngineConfig], board: StatusBoard, store: WardenStore?, remediator: Remediator, logger: Logger,
                priorActions: [PriorAction] = [],
                router: AlertRouter = AlertRouter(channels: []), repeatInterval: Duration = .seconds(3600),
                liveness: Liveness? = nil, memory: Handover<JudgeMemory>? = nil, rewatched: Set<String> = [],
                maintenance: MaintenanceDesk? = nil) {
        self.maintenance = maintenance
        self.liveness = liveness
        self.memory = memory
        self.rewatched = rewatched
        self.engines = engines
        self.board = board
        self.store = store
        self.remediator = remediator
        self.logger = logger
        self.router = router
        self.repeatInterval = repeatInterval
        var prior: [String: [String: [Double]]] = [:]
        for action in priorActions {
            if case .policy(let name) = action.source { prior[action.engine, default: [:]][name, default: []].append(action.at) }
        }
        self.priorActions = prior
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            for engine in engines {
                group.addTask { await EngineJudge(engine: engine, monitor: self).loop() }
            }
        }
    }
}

/// What one engine's judge knows that its readings alone do not tell: levels on their way (hysteresis), when
/// each problem was last said, its policies' ladders, cooldowns and pins, its counters' rate windows. A judge
/// leaves it when it ends, and the judge that replaces it after a reload takes it.
public struct JudgeMemory: @unchecked Sendable {
    // Handed from a judge that has ended to the one that starts; never used by two judges at once.
    var tracker: HealthTracker
    var reminders: ReminderSchedule
    var policies: PolicyRunner
    var reader: EngineReader
    var crossingAt: Double?
}

/// The evaluation loop of one engine: reads it, judges the reading (evaluator, then hysteresis), hands the
/// judgement to its policies, records what people must hear, and publishes. Owns its reader, tracker and policy
/// runner, and lives in that loop's task only.
private final class EngineJudge {
    let engine: EngineConfig
    let monitor: HealthMonitor
    let evaluator: HealthEvaluator
    var tracker: HealthTracker
    let policies: PolicyRunner
    var reader: EngineReader
    var reminders: ReminderSchedule
    /// The moment a growing age reaches its next bound (see `HealthEvaluator.nextCrossing`), if before the next tick.
    var crossingAt: Double?

    init(engine: EngineConfig, monitor: HealthMonitor) {
        self.engine = engine
        self.monitor = monitor
        evaluator = HealthEvaluator(settings: engine.health, watch: engine.watch)
        let earlier = monitor.memory?.take(engine.name)
        if let earlier, !monitor.rewatched.contains(engine.name) {
            // Nothing about this engine's judging changed: the judge goes on exactly where it was.
            tracker = earlier.tracker
            policies = earlier.policies
            reminders = ReminderSchedule(interval: monitor.repeatInterval, continuing: earlier.reminders)
            reader = earlier.reader
            crossingAt = earlier.crossingAt
            return
        }
        tracker = earlier.map { HealthTracker(settings: engine.health, continuing: $0.tracker, judged: engine.watch.judgedComponents) }
            ?? HealthTracker(settings: engine.health)
        // Budgets and cooldowns carry over from the audit, as they do when Warden itself restarts.
        policies = PolicyRunner(engine: engine, remediator: monitor.remediator, logger: monitor.logger,
                                priorActions: monitor.priorActions[engine.name] ?? [:])
        reminders = earlier.map { ReminderSchedule(interval: monitor.repeatInterval, continuing: $0.reminders) }
            ?? ReminderSchedule(interval: monitor.repeatInterval)
        // Per-minute rates span six ticks: contention comes in bursts, and one tick's worth is mostly zeros.
        reader = EngineReader(checks: engine.watch.checks, rateWindow: 6 * engine.health.evaluateEvery.seconds)
    }


    /// Reads the engine whenever it wakes: at every tick (`evaluate_every` after the previous evaluation), when a
    /// growing age reaches its next bound, when a pushed report expires, and when rung (the engine's process
    /// changed state, a slot's probes or a pushed report published). Every reading is published; it is evaluated at
    /// a tick, at a crossing, or when it moves a raw level.
    func loop() async {
        let interval = engine.health.evaluateEvery
        let (rings, wake) = monitor.board.newsBell(of: engine.name).subscribe()
        var iterator = rings.makeAsyncIterator()
        let livenessName = "health \(engine.name)"
        monitor.liveness?.register(livenessName, period: interval)
        defer { monitor.liveness?.retire(livenessName) }
        // Ticks on the monotonic clock: a wall clock stepped back must not hold the judge.
        var due = ContinuousClock.now
        // When the soonest pushed report expires: its values leave the reading then, not at the next tick.
        var expiryAt: Double?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            monitor.liveness?.beat(livenessName)
            let now = Date().timeIntervalSince1970
            if let status = monitor.board.status(of: engine.name) {
                expiryAt = status.observations.probes.values.compactMap(\.expiresAt).filter { $0 >= now }.min()
                let reading = reader.read(status, now: now)
                let inputs = evaluator.readings(status, reading, now: now)
                if ContinuousClock.now >= due || now >= crossingAt ?? .infinity || tracker.moved(inputs) {
                    await evaluate(status, reading, inputs, now: now)
                    due = ContinuousClock.now + interval
                } else {
                    monitor.board.update(engine.name) { $0.health.reading = reading }
                }
            }
            let untilTick = max(due - ContinuousClock.now, .zero)
            let pause = HealthEvaluator.pause(untilTick, until: [crossingAt, expiryAt].compactMap { $0 }.min(),
                                              now: Date().timeIntervalSince1970)
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
        monitor.memory?.leave(engine.name, .init(tracker: tracker, reminders: reminders, policies: policies, reader: reader,
                                                 crossingAt: crossingAt))
    }

    func evaluate(_ status: EngineStatus, _ reading: EngineReading, _ inputs: [HealthComponent: ComponentInput],
                  now: Double) async {
        crossingAt = evaluator.nextCrossing(inputs, now: now)
        var transitions = tracker.evaluate(inputs, now: now)
        let judged = Set(inputs.compactMap { component, input in if case .reading = input { component } else { nil } })
        let heldBack = await monitor.maintenance?.holds(engine.name, at: now) ?? false
        // In maintenance no policy plans: a person is working on the engine.
        let plan = heldBack ? PolicyRunner.Plan() : await policies.plan(tracker.components, judged: judged, now: now)
        for pin in plan.pins {
            if let transition = tracker.pin(pin.component, pin.finding, now: now) { transitions.append(transition) }
        }
        for component in plan.unpins { tracker.unpin(component) }
        for transition in transitions { log(transition) }
        var events = alertEvents(transitions, now: now)
        if heldBack, !events.isEmpty {
            monitor.maintenance?.heldBack(engine.name, alerts: events.count)
            events = []
        }
        await monitor.store?.record(engine: engine.name, transitions: transitions, alerts: monitor.router.route(events))
        // Actions start once their cause is on record: people hear "UNHEALTHY" before "restarted".
        policies.launch(plan)
        publish(reading, status: status, transitions: transitions, now: now)
    }

    private func publish(_ reading: EngineReading, status: EngineStatus, transitions: [HealthTransition], now: Double) {
        let components = tracker.components
        let level = tracker.level
        let exhausted = policies.exhausted
        let point = TrendPoint(at: now, reading: reading, resources: status.isUp ? status.resources : nil)
        monitor.board.update(engine.name) { status in
            status.health.reading = reading
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

    /// What people hear of this evaluation: each transition (with the policies that will act on it), and a
    /// reminder for each problem that has gone on for `repeat_interval`.
    private func alertEvents(_ transitions: [HealthTransition], now: Double) -> [AlertEvent] {
        let events = transitions.map { transition in
            let acting = transition.to > transition.from
                ? policies.acting(on: transition.component, rising: transition.to,
                                  reading: tracker.components[transition.component]?.reading)
                : []
            return AlertEvent.transition(transition, engine: engine.name, acting: acting)
        }
        return events + reminders.due(tracker.components, transitions: transitions, now: now).compactMap { component in
            tracker.components[component].map { AlertEvent.reminder(component, $0, engine: engine.name, at: now) }
        }
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
