/// One component's judged state: the level Warden believes, since when, and the raw reading behind it.
public struct ComponentHealth: Sendable, Equatable {
    public var level: HealthLevel = .healthy
    public var since: Double
    /// The latest raw reading (nil until the component is first judged).
    public var reading: Reading?
    /// Consecutive evaluations whose raw level differed from `level` in one direction, counted as ticks.
    var streak = TickCount()
    var streakUp = true
    /// The level the streak would settle on: the lowest raw level of a rising streak, the highest of a falling one.
    var streakTarget: HealthLevel = .healthy
    /// When an input of the component last produced a value.
    var lastDataAt: Double
    /// The finding that raised the level last: a recovery is reported on the same value.
    public var cause: Finding?

    init(now: Double) {
        since = now
        lastDataAt = now
    }

    /// The raw level now, whatever the hysteresis still holds.
    public var rawLevel: HealthLevel { reading?.level ?? level }
}

/// A change of a component's level.
public struct HealthTransition: Sendable, Equatable {
    public var component: HealthComponent
    public var from: HealthLevel
    public var to: HealthLevel
    public var at: Double
    /// The finding behind the new level (the worst one), or behind the old one on recovery.
    public var finding: Finding?

    public var reason: String { finding?.message ?? to.name }

    public init(component: HealthComponent, from: HealthLevel, to: HealthLevel, at: Double, finding: Finding?) {
        self.component = component
        self.from = from
        self.to = to
        self.at = at
        self.finding = finding
    }
}

/// The hysteresis of health levels, for the components of one engine: up only after the raw level has held for
/// `escalateAfter` evaluations, down only after `recoverAfter` better ones, straight to the level for urgent
/// facts. Pure: readings and the clock in, transitions out.
///
/// Evaluations are counted as ticks (`TickCount`): the judge also evaluates early when fresh input moves a
/// level, and a burst of such evaluations would otherwise confirm in milliseconds what the setting says takes
/// ticks. An early evaluation that reads the other way still breaks the streak.
public struct HealthTracker: Sendable {
    public let settings: HealthSettings
    public private(set) var components: [HealthComponent: ComponentHealth] = [:]
    /// Findings that hold a component at their level until lifted: "remediation exhausted, a human is needed".
    public private(set) var pins: [HealthComponent: Finding] = [:]

    public init(settings: HealthSettings) {
        self.settings = settings
    }

    /// A tracker under reloaded settings that goes on from `earlier`: each component still judged keeps its
    /// level, since and streak (no reload re-alerts what people were already told, or forgets what is on its
    /// way to a level); a component no longer judged leaves. Pins do not carry: the policies that set them
    /// were reloaded too.
    public init(settings: HealthSettings, continuing earlier: HealthTracker, judged: Set<HealthComponent>) {
        self.settings = settings
        components = earlier.components.filter { judged.contains($0.key) }
    }

    /// The engine's level: its worst component.
    public var level: HealthLevel { components.values.map(\.level).max() ?? .healthy }

    /// Whether a look at fresh input between ticks (`inputs`) moves a component's raw level away from what the
    /// last evaluation read: only then is it worth judging before the tick. The process state, and components
    /// whose reading needs counters between two evaluations (CPU, lock contention), wait for the tick.
    public func moved(_ inputs: [HealthComponent: ComponentInput]) -> Bool {
        inputs.contains { component, input in
            guard ![.process, .resources, .locks].contains(component), case .reading(let reading) = input else { return false }
            return reading.level != components[component]?.reading?.level
        }
    }

    public mutating func evaluate(_ inputs: [HealthComponent: ComponentInput], now: Double) -> [HealthTransition] {
        var transitions: [HealthTransition] = []
        for (component, input) in inputs.sorted(by: { $0.key < $1.key }) {
            var state = components[component] ?? ComponentHealth(now: now)
            if let transition = step(&state, input, pin: pins[component], now: now) {
                transitions.append(HealthTransition(component: component, from: transition.from, to: state.level,
                                                    at: now, finding: transition.finding))
            }
            components[component] = state
        }
        return transitions
    }

    /// Holds `component` at the finding's level from now on, whatever its readings say, until `unpin`.
    public mutating func pin(_ component: HealthComponent, _ finding: Finding, now: Double) -> HealthTransition? {
        pins[component] = finding
        var state = components[component] ?? ComponentHealth(now: now)
        defer { components[component] = state }
        // Shown with the latest reading at once, not only from the next evaluation.
        state.reading = Reading((state.reading?.findings ?? []) + [finding], urgent: true)
        guard finding.level > state.level else { return nil }
        let from = state.level
        _ = settle(&state, at: finding.level, now: now, from: from, finding: finding)
        return HealthTransition(component: component, from: from, to: finding.level, at: now, finding: finding)
    }

    /// Lets the component's readings decide again (with the usual recovery hysteresis).
    public mutating func unpin(_ component: HealthComponent) {
        pins[component] = nil
    }

    private func step(_ state: inout ComponentHealth, _ input: ComponentInput, pin: Finding?,
                      now: Double) -> (from: HealthLevel, finding: Finding?)? {
        var reading: Reading
        switch input {
        case .notJudged:
            // Nothing to count while the engine is down or starting; the clock for missing data restarts.
            state.streak.reset()
            state.lastDataAt = now
            return nil
        case .noData:
            let missingFor = now - state.lastDataAt
            guard missingFor >= settings.staleInputAfter.seconds else { return nil }
            reading = Reading([HealthEvaluator.missing(probe: nil, for: missingFor, because: nil)])
            if state.level > .degraded {
                // Not knowing is no recovery: a component above DEGRADED holds its level while blind.
                state.reading = Reading(reading.findings + [pin].compactMap { $0 }, urgent: pin != nil)
                state.streak.reset()
                return nil
            }
        case .reading(let value):
            reading = value
            state.lastDataAt = now
        }
        if let pin {
            reading.findings.append(pin)
            reading.urgent = true
        }
        state.reading = reading
        let raw = reading.level
        let from = state.level

        if raw == from {
            state.streak.reset()
            return nil
        }
        if reading.urgent && raw > from {
            return settle(&state, at: raw, now: now, from: from, finding: reading.worst)
        }
        let up = raw > from
        if state.streak.count == 0 || state.streakUp != up {
            state.streak.reset()
            state.streakUp = up
            state.streakTarget = raw
        }
        state.streak.add(at: now, tick: settings.evaluateEvery)
        state.streakTarget = up ? min(state.streakTarget, raw) : max(state.streakTarget, raw)
        guard state.streak.count >= (up ? settings.escalateAfter : settings.recoverAfter) else { return nil }
        let target = state.streakTarget
        // Rising: the finding that holds the new level (a mixed rise may have none exactly at it). Falling: the
        // value that had raised it, as it reads now.
        let finding = up ? reading.findings.filter { $0.level >= target }.min { $0.level < $1.level }
            : reading.findings.first { $0.check == state.cause?.check && $0.subject == state.cause?.subject } ?? reading.worst
        return settle(&state, at: target, now: now, from: from, finding: finding)
    }

    private func settle(_ state: inout ComponentHealth, at level: HealthLevel, now: Double, from: HealthLevel,
                        finding: Finding?) -> (from: HealthLevel, finding: Finding?) {
        // Told at the level announced, whatever level the raw value reaches by now.
        let finding = level > from ? finding.map { $0.stated(at: level, threshold: settings.threshold($0.check, subject: $0.subject)) } : finding
        if level > from || level == .healthy {
            state.cause = level > from ? finding : nil
        } else if let worst = state.reading?.findings.filter({ $0.level >= level }).min(by: { $0.level < $1.level }) {
            // Partly recovered: what holds the component at its new level now.
            state.cause = worst.stated(at: level, threshold: settings.threshold(worst.check, subject: worst.subject))
        }
        state.level = level
        state.since = now
        state.streak.reset()
        return (from, finding)
    }
}
