/// The demo engine as a user would configure Warden for it: every probe, log rule and check. One source for
/// `warden demo` and for the integration tests, so what the demo shows is what the tests prove.
public enum DemoEngineConfig {
    /// Faults the demo engine can simulate (its `Fault` enum; a test keeps the two in step).
    public static let faults = [
        "crash", "hang", "leak_memory", "drop_monitoring", "overdue_positions", "stale_ws", "stale_locks",
        "lock_contention", "connection_flood", "pnl_divergence", "remove_stops", "silent_decisions",
    ]

    /// One `engines:` entry (indented for the list). `database` is the engine's SQLite file, `statusURL`
    /// its status endpoint; `brokerPort` adds the connections check; `interval` paces probes and sampling.
    public static func yaml(command: [String], workingDirectory: String, database: String, statusURL: String,
                            brokerPort: Int?, interval: String, overdueGrace: String, extra: String = "") -> String {
        let argv = command.map { "\"\($0)\"" }.joined(separator: ", ")
        let connections = brokerPort.map { port in """

                  connections:
                    - {name: broker, endpoint: "127.0.0.1:\(port)", limit: 10}
            """ } ?? ""
        return """
              - name: demo
                command: [\(argv)]
                working_dir: "\(workingDirectory)"
                sampling_interval: \(interval)\(extra)
                probes:
                  - {name: status, http: {url: "\(statusURL)"}, interval: \(interval), timeout: 2s}
                  - {name: db, sqlite: {path: "\(database)"}, interval: \(interval), timeout: 2s}
                  - {name: wal, heartbeat_file: {path: "\(database)-wal"}, interval: \(interval)}
                log_rules:
                  - {name: decision, match: "^DECISION ", kind: heartbeat}
                  - {name: broker_refused, match: "connections limitation is hit"}
                checks:
                  positions:
                    database: db
                    monitored: {probe: status, pointer: /monitored_positions}
                    overdue_grace: \(overdueGrace)
                  locks: {database: db}
                  pnl: {probe: status}
                  websocket:
                    - {stream: market, last_message: {probe: status, pointer: /websocket/last_message_time},
                       reconnects: {probe: status, pointer: /websocket/reconnects}}
                  decisions: {log_rule: decision}\(connections)
            """
    }
}
