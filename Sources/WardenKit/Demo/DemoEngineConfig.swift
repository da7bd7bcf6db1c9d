import Foundation

/// The demo engine as a user would configure Warden for it: every probe, log rule, check, health threshold
/// and remediation policy. One source for `warden demo` and for the integration tests, so what the demo shows
/// is what the tests prove. It is built as the config model and written as that model encoded, so the file
/// the demo runs with is one the loader reads like any user's.
public enum DemoEngineConfig {
    /// Faults the demo engine can simulate (its `Fault` enum; a test keeps the two in step).
    public static let faults = [
        "crash", "hang", "leak_memory", "drop_monitoring", "overdue_positions", "stale_ws", "stale_locks",
        "lock_contention", "connection_flood", "pnl_divergence", "remove_stops", "silent_decisions",
    ]

    /// How fast everything moves: the demo runs at human pace, the tests faster.
    public struct Pace: Sendable {
        /// Probes and resource sampling.
        public var interval: Duration
        public var overdueGrace: Duration
        public var evaluateEvery: Duration
        public var startupGrace: Duration
        public var staleInputAfter: Duration
        /// No decision for this long is UNHEALTHY (the default 300 s, shortened: the demo decides every few
        /// seconds).
        public var decisionAge: Duration
        /// A market stream this quiet is UNHEALTHY (the default 60 s, shortened likewise).
        public var websocketLag: Duration

        public init(interval: Duration, overdueGrace: Duration, evaluateEvery: Duration, startupGrace: Duration,
                    staleInputAfter: Duration, decisionAge: Duration, websocketLag: Duration) {
            self.interval = interval
            self.overdueGrace = overdueGrace
            self.evaluateEvery = evaluateEvery
            self.startupGrace = startupGrace
            self.staleInputAfter = staleInputAfter
            self.decisionAge = decisionAge
            self.websocketLag = websocketLag
        }

        /// A pace given as text, such as a command line's: each a duration as configs write it (`2s`). Text
        /// that is not one is a programming error and traps, naming it.
        public init(interval: String, overdueGrace: String, evaluateEvery: String, startupGrace: String,
                    staleInputAfter: String, decisionAge: String, websocketLag: String) {
            func duration(_ text: String) -> Duration {
                guard let duration = Units.parseDuration(text) else { preconditionFailure("not a duration: \"\(text)\"") }
                return duration
            }
            self.init(interval: duration(interval), overdueGrace: duration(overdueGrace), evaluateEvery: duration(evaluateEvery),
                      startupGrace: duration(startupGrace), staleInputAfter: duration(staleInputAfter),
                      decisionAge: duration(decisionAge), websocketLag: duration(websocketLag))
        }

        public static let demo = Pace(interval: .seconds(2), overdueGrace: .seconds(10), evaluateEvery: .seconds(2),
                                      startupGrace: .seconds(5), staleInputAfter: .seconds(20), decisionAge: .seconds(30),
                                      websocketLag: .seconds(20))

        /// Everything a few times faster than the demo, for the tests and the soak: a fault is judged within
        /// seconds. The engine must then run with `fastEngineFlags`.
        public static let fast = Pace(interval: .milliseconds(500), overdueGrace: .seconds(2), evaluateEvery: .milliseconds(500),
                                      startupGrace: .seconds(2), staleInputAfter: .seconds(5), decisionAge: .seconds(6),
                                      websocketLag: .seconds(5))
        /// The demo engine at `fast` pace: 0.2 s ticks, a decision every 0.5 s, take-profit locks that expire in 2 s.
        public static let fastEngineFlags = ["--tick", "0.2", "--decision-interval", "0.5", "--lock-ttl", "2"]
    }

    /// Held take-profit locks: a restart waits while one is held and not yet expired.
    static let heldLocks = "SELECT COUNT(*) FROM system_config WHERE config_key LIKE 'partial_tp_%' AND warden_unixtime(expires_at) >= :now"
    static let releaseExpiredLocks = "DELETE FROM system_config WHERE config_key LIKE 'partial_tp_%' AND warden_unixtime(expires_at) < :now"

    /// One `engines:` entry. `database` is the engine's SQLite file, `statusURL` its status endpoint (its
    /// admin endpoints share the origin); `brokerPort` adds the connections check.
    public static func engine(name: String = "demo", command: [String], workingDirectory: String, database: String,
                              statusURL: String, brokerPort: Int?, pace: Pace) -> ConfigFile.Engine {
        guard let status = URL(string: statusURL) else { preconditionFailure("not a URL: \"\(statusURL)\"") }
        let origin = statusURL.hasSuffix("/status") ? String(statusURL.dropLast("/status".count)) : statusURL
        var engine = ConfigFile.Engine(name: name, command: command)
        engine.workingDirectory = workingDirectory
        engine.samplingInterval = pace.interval
        engine.probes = [
            ConfigFile.Probe(name: "status", interval: pace.interval, timeout: .seconds(2), kind: .http(.init(url: status))),
            ConfigFile.Probe(name: "db", interval: pace.interval, timeout: .seconds(2),
                             kind: .sqlite(.init(path: database, allowWrites: true))),
            ConfigFile.Probe(name: "wal", interval: pace.interval, kind: .heartbeatFile(.init(path: "\(database)-wal"))),
        ]
        engine.logRules = [
            ConfigFile.LogRule(name: "decision", match: "^DECISION ", kind: .heartbeat),
            ConfigFile.LogRule(name: "broker_refused", match: "connections limitation is hit"),
        ]
        engine.checks = checks(brokerPort: brokerPort, pace: pace)
        engine.health.evaluateEvery = pace.evaluateEvery
        engine.health.startupGrace = pace.startupGrace
        engine.health.staleInputAfter = pace.staleInputAfter
        engine.health.thresholds = [
            .decisionAge: Threshold(unhealthy: pace.decisionAge.seconds),
            .heartbeatAge: Threshold(unhealthy: pace.decisionAge.seconds),
            .websocketLag: Threshold(unhealthy: pace.websocketLag.seconds),
            .memoryBytes: Threshold(unhealthy: 150_000_000),
        ]
        engine.remediation = remediation(origin: origin)
        return engine
    }

    /// The same entry as YAML, indented for the list under `engines:`.
    public static func yaml(name: String = "demo", command: [String], workingDirectory: String, database: String,
                            statusURL: String, brokerPort: Int?, pace: Pace) -> String {
        let engine = engine(name: name, command: command, workingDirectory: workingDirectory, database: database,
                            statusURL: statusURL, brokerPort: brokerPort, pace: pace)
        do {
            return try ConfigFile.engineEntries([engine])
        } catch {
            preconditionFailure("the demo's config model does not encode: \(error)")
        }
    }

    private static func checks(brokerPort: Int?, pace: Pace) -> ConfigFile.Checks {
        func status(_ pointer: String) -> ConfigFile.ValueSource { .init(.json(probe: "status", pointer: JSONPointer(pointer)!)) }
        var checks = ConfigFile.Checks()
        checks.positions = ConfigFile.Positions(database: "db")
        checks.positions?.monitored = status("/monitored_positions")
        checks.positions?.overdueGrace = pace.overdueGrace
        checks.locks = ConfigFile.Locks(database: "db")
        checks.pnl = ConfigFile.PnL(probe: "status")
        checks.websocket = [ConfigFile.WebSocketStream(stream: "market", lastMessage: status("/websocket/last_message_time"),
                                                        reconnects: status("/websocket/reconnects"))]
        checks.decisions = .init(.logRule("decision"))
        // Refused connections come one per attempt: a few a minute is a bot hammering a broker at its limit.
        checks.rates = [ConfigFile.CounterRate(name: "broker_refusals", count: .init(.logRule("broker_refused")),
                                               threshold: Threshold(degraded: 1))]
        checks.states = [ConfigFile.ExpectedState(name: "trading", value: status("/state"), expect: ["running"])]
        if let brokerPort {
            checks.connections = [ConfigFile.ConnectionEndpoint(name: "broker", endpoint: "127.0.0.1:\(brokerPort)", limit: 10)]
        }
        return checks
    }

    private static func remediation(origin: String) -> ConfigFile.EngineRemediation {
        func policy(_ name: String, _ component: HealthComponent, _ checks: [HealthCheck], _ ladder: [ConfigFile.Rung]) -> ConfigFile.Policy {
            var policy = ConfigFile.Policy(name: name, component: component, ladder: ladder)
            policy.checks = checks
            return policy
        }
        /// A restart at most once a minute and ten times an hour: the demo's faults come back quickly.
        func restartPolicy(_ name: String, _ component: HealthComponent, _ checks: [HealthCheck]) -> ConfigFile.Policy {
            var restart = policy(name, component, checks, [ConfigFile.Rung(action: .restart(.init()))])
            restart.cooldown = .seconds(60)
            restart.budget = ConfigFile.Budget(max: 10)
            return restart
        }
        let restart = ConfigFile.Action.restart(.init())
        let rearm = ConfigFile.Action.http(.init(url: URL(string: "\(origin)/admin/rearm-monitoring?reason=warden")!))
        var memory = ConfigFile.Action.Restart()
        memory.deferWhile = .init(.sql(probe: "db", query: heldLocks))
        memory.maxDefer = .seconds(60)
        var release = policy("release-stale-locks", .locks, [.staleLocks],
                             [ConfigFile.Rung(action: .sql(.init(probe: "db", statement: releaseExpiredLocks)))])
        release.cooldown = .seconds(10)

        var remediation = ConfigFile.EngineRemediation()
        remediation.policies = [
            // Lost monitoring tasks: re-arm, check, and restart if that did not help.
            policy("rearm-monitoring", .positions, [.monitorMismatch, .overduePositions],
                   [ConfigFile.Rung(action: rearm, verifyAfter: 2), ConfigFile.Rung(action: restart, verifyAfter: 3)]),
            // A silent loop: no decision for too long, or the health endpoint unanswered three times.
            restartPolicy("restart-when-not-deciding", .decisions, [.decisionAge, .heartbeatAge]),
            restartPolicy("restart-when-unanswered", .api, [.apiFailures]),
            // A leak: restart, but never in the middle of a partial take-profit.
            policy("restart-on-memory", .resources, [.memoryRatio, .memoryBytes], [ConfigFile.Rung(action: .restart(memory))]),
            // Locks held past their expiry are released (the db probe allows this write).
            release,
        ]
        // A stale WebSocket is left to Prometheus and Alertmanager (alerts/warden.rules.yml).
        remediation.alertmanager = [ConfigFile.AlertmanagerMapping(alertname: "WardenWebSocketStale", action: restart)]
        return remediation
    }
}
