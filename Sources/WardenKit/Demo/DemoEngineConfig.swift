/// The demo engine as a user would configure Warden for it: every probe, log rule, check, health threshold
/// and remediation policy. One source for `warden demo` and for the integration tests, so what the demo shows
/// is what the tests prove.
public enum DemoEngineConfig {
    /// Faults the demo engine can simulate (its `Fault` enum; a test keeps the two in step).
    public static let faults = [
        "crash", "hang", "leak_memory", "drop_monitoring", "overdue_positions", "stale_ws", "stale_locks",
        "lock_contention", "connection_flood", "pnl_divergence", "remove_stops", "silent_decisions",
    ]

    /// How fast everything moves: the demo runs at human pace, the tests faster.
    public struct Pace: Sendable {
        /// Probes and resource sampling.
        public var interval: String
        public var overdueGrace: String
        public var evaluateEvery: String
        public var startupGrace: String
        public var staleInputAfter: String
        /// No decision for this long is UNHEALTHY (the default 300 s, shortened: the demo decides every few
        /// seconds).
        public var decisionAge: String
        /// A market stream this quiet is UNHEALTHY (the default 60 s, shortened likewise).
        public var websocketLag: String

        public init(interval: String, overdueGrace: String, evaluateEvery: String, startupGrace: String,
                    staleInputAfter: String, decisionAge: String, websocketLag: String) {
            self.interval = interval
            self.overdueGrace = overdueGrace
            self.evaluateEvery = evaluateEvery
            self.startupGrace = startupGrace
            self.staleInputAfter = staleInputAfter
            self.decisionAge = decisionAge
            self.websocketLag = websocketLag
        }

        public static let demo = Pace(interval: "2s", overdueGrace: "10s", evaluateEvery: "2s", startupGrace: "5s",
                                      staleInputAfter: "20s", decisionAge: "30s", websocketLag: "20s")

        /// Everything a few times faster than the demo, for the tests and the soak: a fault is judged within
        /// seconds. The engine must then run with `fastEngineFlags`.
        public static let fast = Pace(interval: "500ms", overdueGrace: "2s", evaluateEvery: "500ms", startupGrace: "2s",
                                      staleInputAfter: "5s", decisionAge: "6s", websocketLag: "5s")
        /// The demo engine at `fast` pace: 0.2 s ticks, a decision every 0.5 s, take-profit locks that expire in 2 s.
        public static let fastEngineFlags = ["--tick", "0.2", "--decision-interval", "0.5", "--lock-ttl", "2"]
    }

    /// Held take-profit locks: a restart waits while one is held and not yet expired.
    static let heldLocks = "SELECT COUNT(*) FROM system_config WHERE config_key LIKE 'partial_tp_%' AND warden_unixtime(expires_at) >= :now"
    static let releaseExpiredLocks = "DELETE FROM system_config WHERE config_key LIKE 'partial_tp_%' AND warden_unixtime(expires_at) < :now"

    /// One `engines:` entry (indented for the list). `database` is the engine's SQLite file, `statusURL`
    /// its status endpoint (its admin endpoints share the origin); `brokerPort` adds the connections check.
    public static func yaml(name: String = "demo", command: [String], workingDirectory: String, database: String,
                            statusURL: String, brokerPort: Int?, pace: Pace, extra: String = "") -> String {
        let argv = command.map { "\"\($0)\"" }.joined(separator: ", ")
        let origin = statusURL.hasSuffix("/status") ? String(statusURL.dropLast("/status".count)) : statusURL
        let connections = brokerPort.map { port in """

                  connections:
                    - {name: broker, endpoint: "127.0.0.1:\(port)", limit: 10}
            """ } ?? ""
        return """
              - name: \(name)
                command: [\(argv)]
                working_dir: "\(workingDirectory)"
                sampling_interval: \(pace.interval)\(extra)
                probes:
                  - {name: status, http: {url: "\(statusURL)"}, interval: \(pace.interval), timeout: 2s}
                  - {name: db, sqlite: {path: "\(database)", allow_writes: true}, interval: \(pace.interval), timeout: 2s}
                  - {name: wal, heartbeat_file: {path: "\(database)-wal"}, interval: \(pace.interval)}
                log_rules:
                  - {name: decision, match: "^DECISION ", kind: heartbeat}
                  - {name: broker_refused, match: "connections limitation is hit"}
                checks:
                  positions:
                    database: db
                    monitored: {probe: status, pointer: /monitored_positions}
                    overdue_grace: \(pace.overdueGrace)
                  locks: {database: db}
                  pnl: {probe: status}
                  websocket:
                    - {stream: market, last_message: {probe: status, pointer: /websocket/last_message_time},
                       reconnects: {probe: status, pointer: /websocket/reconnects}}
                  decisions: {log_rule: decision}\(connections)
                health:
                  evaluate_every: \(pace.evaluateEvery)
                  startup_grace: \(pace.startupGrace)
                  stale_input_after: \(pace.staleInputAfter)
                  thresholds:
                    decision_age: {unhealthy: \(pace.decisionAge)}
                    heartbeat_age: {unhealthy: \(pace.decisionAge)}
                    websocket_lag: {unhealthy: \(pace.websocketLag)}
                    memory_bytes: {unhealthy: 150MB}
                remediation:
                  policies:
                    # Lost monitoring tasks: re-arm, check, and restart if that did not help.
                    - name: rearm-monitoring
                      component: positions
                      checks: [monitor_mismatch, overdue_positions]
                      ladder:
                        - {http: {url: "\(origin)/admin/rearm-monitoring?reason=warden", method: POST}, verify_after: 2}
                        - {restart: {}, verify_after: 3}
                    # A silent loop: no decision for too long, or the health endpoint unanswered three times.
                    - name: restart-when-not-deciding
                      component: decisions
                      ladder: [{restart: {}}]
                      cooldown: 1m
                      budget: {max: 10, window: 1h}
                    - name: restart-when-unanswered
                      component: api
                      checks: [api_failures]
                      ladder: [{restart: {}}]
                      cooldown: 1m
                      budget: {max: 10, window: 1h}
                    # A leak: restart, but never in the middle of a partial take-profit.
                    - name: restart-on-memory
                      component: resources
                      checks: [memory_ratio, memory_bytes]
                      ladder:
                        - restart: {defer_while: {probe: db, query: "\(heldLocks)"}, max_defer: 1m}
                    # Locks held past their expiry are released (the db probe allows this write).
                    - name: release-stale-locks
                      component: locks
                      checks: [stale_locks]
                      cooldown: 10s
                      ladder:
                        - sql: {probe: db, statement: "\(releaseExpiredLocks)"}
                  # A stale WebSocket is left to Prometheus and Alertmanager (alerts/warden.rules.yml).
                  alertmanager:
                    - {alertname: WardenWebSocketStale, action: {restart: {}}}
            """
    }
}
