/// The JSON of `GET /api/v1/status`. Field names are part of Warden's API: add, never rename.
public struct StatusDocument: Codable, Sendable {
    public var version: String
    /// Which Warden this is: the config's `instance`, by default the host name.
    public var instance: String?
    public var ready: Bool
    public var time: Double
    /// Warden's level: its worst engine.
    public var level: HealthLevel
    public var engines: [Engine]
    /// Each alert channel's queue and deliveries since Warden started.
    public var alerts: [String: AlertChannel]?

    public struct AlertChannel: Codable, Sendable {
        public var minLevel: HealthLevel
        public var queued: Int
        public var oldestQueuedAt: Double?
        /// Why the message at the head of the queue has not gone out yet.
        public var lastError: String?
        public var deadLetters: Int
        public var delivered: Int
        public var retried: Int
        public var failed: Int
    }

    public struct Engine: Codable, Sendable {
        public var name: String
        /// starting, running, stopping, backoff, gave_up, stopped
        public var state: String
        public var pid: Int32?
        public var startedAt: Double?
        public var uptimeSeconds: Double?
        public var restartsTotal: Int
        public var restartsByReason: [String: Int]
        public var backoffSeconds: Double
        public var consecutiveFailures: Int
        public var budget: Budget
        public var needsHuman: Bool
        /// A person working on the engine: `reason`, `since`, `until` (none: until ended), and what was held back.
        public var maintenance: Maintenance?
        public var lastExit: Exit?
        /// Present when another supervisor runs the engine: how Warden finds it (`how`), and the command that
        /// restarts it through that supervisor (`restarted_by`; none: Warden only watches).
        public var attachment: Attachment?
        public var lastStartError: String?
        public var resources: Resources?
        /// Each probe's last run: whether it succeeded, and if not, why (the place and SQLite's or the HTTP
        /// client's words).
        public var probes: [String: ProbeState]
        public var health: Health
        public var remediation: Remediation
    }

    public struct Health: Codable, Sendable {
        /// The engine's level: its worst component.
        public var level: HealthLevel
        public var evaluatedAt: Double?
        public var components: [String: Component]
        /// Newest first.
        public var recentTransitions: [Transition]
    }

    public struct Component: Codable, Sendable {
        public var level: HealthLevel
        public var since: Double
        /// What the latest evaluation read, before hysteresis.
        public var rawLevel: HealthLevel
        /// The worst finding of the latest reading, true at the status's time (ages grown to it, as `/metrics`
        /// shows them): the value, the bound it reaches and a sentence.
        public var check: String?
        public var value: Double?
        public var threshold: Double?
        public var reason: String?
        /// Every finding of that reading.
        public var findings: [ComponentFinding]
        /// The finding that set the level, as it read then (`at` is `since`); none while HEALTHY.
        public var cause: Cause?
    }

    public struct Cause: Codable, Sendable {
        public var check: String
        public var value: Double?
        public var threshold: Double?
        public var reason: String
        public var at: Double
    }

    public struct ComponentFinding: Codable, Sendable {
        public var check: String
        public var subject: String?
        public var level: HealthLevel
        public var value: Double?
        public var threshold: Double?
        public var message: String
    }

    public struct Transition: Codable, Sendable {
        public var component: String
        public var from: HealthLevel
        public var to: HealthLevel
        public var at: Double
        public var reason: String
    }

    public struct Remediation: Codable, Sendable {
        /// Newest first: what was done, why, when, and how it went.
        public var recent: [AuditEntry]
        /// Policies that took every rung without clearing their condition: a human is needed.
        public var exhausted: [String]
    }

    public struct ProbeState: Codable, Sendable {
        public var success: Bool
        public var failure: String?
        public var at: Double
        public var durationSeconds: Double
    }

    public struct Budget: Codable, Sendable {
        public var max: Int
        public var windowSeconds: Double
        public var used: Int
        public var remaining: Int
    }

    public struct Attachment: Codable, Sendable, Equatable {
        public var how: String
        public var restartedBy: String?
    }

    public struct Exit: Codable, Sendable {
        public var description: String
        public var code: Int32?
        public var signal: String?
        public var at: Double
        public var ranForSeconds: Double
        /// One of the engine's `stop.clean_exit_codes`: a stop on purpose, not a failure.
        public var clean: Bool?
    }

    public struct Resources: Codable, Sendable {
        public var cpuSecondsTotal: Double
        public var residentMemoryBytes: Int64
        public var memoryUsageRatio: Double
        public var threads: Int
        public var openFds: Int
        public var processes: Int
        public var sampledAt: Double
    }

    /// `judge` reads an engine's latest reading at `now` (its evaluator); without it, components show what
    /// their last evaluation read.
    public init(version: String, instance: String? = nil, ready: Bool, now: Double, engines: [EngineStatus],
                judge: (EngineStatus) -> [HealthComponent: ComponentInput]? = { _ in nil }) {
        self.version = version
        self.instance = instance
        self.ready = ready
        self.time = now
        self.level = engines.map(\.health.level).max() ?? .healthy
        self.engines = engines.map { Engine($0, now: now, judged: judge($0) ?? [:]) }
    }
}

extension StatusDocument.Engine {
    init(_ status: EngineStatus, now: Double, judged: [HealthComponent: ComponentInput]) {
        name = status.name
        state = status.state.name
        pid = status.pid
        startedAt = status.startedAt
        uptimeSeconds = status.startedAt.map { max(0, now - $0) }
        restartsTotal = status.restartCounts.values.reduce(0, +)
        restartsByReason = Dictionary(uniqueKeysWithValues: status.restartCounts.map { ($0.key.rawValue, $0.value) })
        backoffSeconds = status.backoffRemaining(now: now)
        consecutiveFailures = status.attempt
        let used = status.ledger.count(now: now)
        budget = .init(max: status.ledger.budget.limit, windowSeconds: status.ledger.budget.window.seconds,
                       used: used, remaining: status.ledger.remaining(now: now))
        needsHuman = status.needsHuman
        maintenance = status.maintenance
        attachment = status.attachment
        lastExit = status.lastExit.map { exit in
            var code: Int32?
            var signal: String?
            switch exit.status {
            case .exited(let value): code = value
            case .signaled(let value): signal = value.name
            }
            return .init(description: exit.status.description, code: code, signal: signal, at: exit.at, ranForSeconds: exit.ranFor,
                         clean: exit.clean)
        }
        lastStartError = status.lastStartError
        probes = status.observations.probes.mapValues { outcome in
            let current = outcome.current(now: now)
            return .init(success: current.success, failure: current.failure, at: current.at,
                         durationSeconds: current.durationSeconds)
        }
        health = .init(
            level: status.health.level, evaluatedAt: status.health.evaluatedAt,
            components: Dictionary(uniqueKeysWithValues: status.health.components.map { component, state in
                // Now: the reading at the status's time, with the pins its judge holds ("a human is needed"); a
                // component not judged now shows its last evaluation's.
                let pins = state.reading?.findings.filter { $0.check == .remediationExhausted } ?? []
                let reading = if case .reading(let now) = judged[component] { Reading(now.findings + pins) } else { state.reading }
                let worst = reading?.worst
                return (component.rawValue, StatusDocument.Component(
                    level: state.level, since: state.since, rawLevel: state.rawLevel, check: worst?.check.rawValue,
                    value: worst?.value, threshold: worst?.threshold, reason: worst?.message,
                    findings: (reading?.findings ?? []).map {
                        .init(check: $0.check.rawValue, subject: $0.subject, level: $0.level, value: $0.value,
                              threshold: $0.threshold, message: $0.message)
                    },
                    cause: state.level > .healthy ? state.cause.map {
                        .init(check: $0.check.rawValue, value: $0.value, threshold: $0.threshold, reason: $0.message, at: state.since)
                    } : nil))
            }),
            recentTransitions: status.health.recentTransitions.map {
                .init(component: $0.component.rawValue, from: $0.from, to: $0.to, at: $0.at, reason: $0.reason)
            })
        remediation = .init(recent: status.remediation.recent, exhausted: status.remediation.exhausted)
        resources = status.resources.map {
            .init(cpuSecondsTotal: $0.cpuSeconds, residentMemoryBytes: $0.residentBytes, memoryUsageRatio: $0.memoryRatio,
                  threads: $0.threads, openFds: $0.openFDs, processes: $0.processes, sampledAt: $0.sampledAt)
        }
    }
}
