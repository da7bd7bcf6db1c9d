// Measures what issues 3 and 5 ask, with Warden's real probe, checks, store and notifier (no mocks):
//   1. one full check cycle (the SQLite probe's queries plus every check's computation) against an engine
//      database with 1,000 / 10,000 / 100,000 open positions, and this process's memory after;
//   2. log-rule throughput in lines per second, through the line splitter and a typical rule set;
//   3. the alert path: a recorded transition to the request at a local Telegram Bot API server.
//   4. `demo-config`: the demo engine's `engines:` entry, for benchmarks/run's Warden configs.
// A report, not a test: it prints figures and asserts nothing. `benchmarks/run` calls it.
import Foundation
import GRDB
import WardenKit

func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((p / 100 * Double(sorted.count - 1)).rounded()))]
}

func memory() -> (rss: Double, anon: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func field(_ name: String) -> Double {
        let line = status.split(separator: "\n").first { $0.hasPrefix(name + ":") } ?? ""
        return Double(line.split(separator: " ").dropFirst().first ?? "0").map { $0 * 1024 } ?? 0
    }
    return (field("VmRSS"), field("RssAnon"))
}

/// An engine database in the demo engine's schemas (docs/DEMO_ENGINE.md), with `count` open positions (a
/// tenth of them overdue, a twentieth without stops) and as many closed ones, plus lock rows and take-profit
/// history.
func makeDatabase(at path: String, openPositions count: Int) throws {
    try? FileManager.default.removeItem(atPath: path)
    let db = try DatabaseQueue(path: path)
    try db.write { db in
        try db.execute(sql: """
            CREATE TABLE futures_positions (id INTEGER PRIMARY KEY, symbol TEXT, position_side TEXT, status TEXT,
              account_id INTEGER, entry_price REAL, quantity REAL, open_time TEXT, planned_close_time TEXT);
            CREATE INDEX futures_positions_status ON futures_positions(status);
            CREATE TABLE position_stops (id INTEGER PRIMARY KEY, position_id INTEGER, symbol TEXT, entry_price REAL,
              stop_loss REAL, take_profit REAL, status TEXT, created_at TEXT);
            CREATE TABLE system_config (config_key TEXT PRIMARY KEY, config_value TEXT, expires_at TEXT, updated_at TEXT);
            CREATE TABLE partial_take_profit_history (id INTEGER PRIMARY KEY, symbol TEXT, side TEXT, stage INTEGER,
              caller TEXT, result TEXT, timestamp TEXT);
            """)
        let insert = try db.makeStatement(sql: """
            INSERT INTO futures_positions (symbol, position_side, status, account_id, entry_price, quantity, open_time, planned_close_time)
            VALUES (?, 'LONG', ?, 1, 100, 1, datetime('now', '-1 hour'), datetime('now', ?))
            """)
        let stop = try db.makeStatement(sql: """
            INSERT INTO position_stops (position_id, symbol, entry_price, stop_loss, take_profit, status, created_at)
            VALUES (?, ?, 100, 98, 104, ?, datetime('now'))
            """)
        for index in 0..<(2 * count) {
            let open = index < count
            let symbol = "SYM\(index)USDT"
            try insert.execute(arguments: [symbol, open ? "open" : "closed", index % 10 == 0 ? "-10 minutes" : "+1 hour"])
            // Closed positions' stops were triggered; one open position in twenty has none.
            if !open || index % 20 != 0 { try stop.execute(arguments: [index + 1, symbol, open ? "active" : "triggered"]) }
        }
        for index in 0..<min(count, 1000) {
            try db.execute(sql: "INSERT INTO system_config VALUES (?, 'ai-agent', datetime('now', '+30 seconds'), datetime('now'))",
                           arguments: ["partial_tp_SYM\(index)USDT_LONG_stage1"])
            try db.execute(sql: "INSERT INTO partial_take_profit_history (symbol, side, stage, caller, result, timestamp) VALUES (?, 'LONG', 1, 'ai-agent', ?, datetime('now'))",
                           arguments: ["SYM\(index)USDT", ["success", "lock_busy", "recently_executed"][index % 3]])
        }
    }
}

func checkCycle(positions: Int, runs: Int) async throws -> String {
    let path = NSTemporaryDirectory() + "warden-bench-\(getpid())-\(positions).sqlite"
    defer { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
    try makeDatabase(at: path, openPositions: positions)
    let checks: [any Check] = [
        PositionsCheck(database: "db", monitored: nil, overdueGrace: .seconds(60)),
        LocksCheck(database: "db"),
    ]
    let probe = SQLiteProbe(name: "db", path: path, interval: .seconds(15), timeout: .seconds(10), busyTimeout: .seconds(1),
                            timestamps: TimestampParser(), queries: checks.flatMap(\.queries).map(\.query))
    var durations: [Double] = []
    var values: [CheckValue] = []
    for _ in 0..<runs {
        let started = ContinuousClock.now
        var observations = EngineObservations()
        observations.probes["db"] = await ProbeRunner.runOnce(probe)
        values = checks.flatMap { $0.values(observations, now: Date().timeIntervalSince1970) }
        durations.append((ContinuousClock.now - started).seconds * 1000)
    }
    let open = values.first { $0.metric == Catalog.openPositions }?.value ?? -1
    let overdue = values.first { $0.metric == Catalog.overduePositions }?.value ?? -1
    guard open == Double(positions), overdue == Double((positions + 9) / 10) else {
        return "| \(positions) | check cycle returned wrong figures (open \(open), overdue \(overdue)) | | | |"
    }
    let (rss, anon) = memory()
    return String(format: "| %d | %.2f | %.2f | %.1f | %.1f |", positions, median(durations), percentile(durations, 95), rss / 1e6, anon / 1e6)
}

func logRuleThroughput(lines count: Int) throws -> String {
    let rules = try LogRuleSet([
        LogRule(name: "decision", pattern: "^DECISION ", kind: .heartbeat),
        LogRule(name: "lock_busy", pattern: "lock_busy", kind: .counter),
        LogRule(name: "recently_executed", pattern: "recently_executed", kind: .counter),
        LogRule(name: "broker_refused", pattern: "connections limitation is hit, limit = [0-9]+", kind: .counter),
        LogRule(name: "api_timeout", pattern: "(Read timed out|ConnectTimeout)", kind: .counter),
    ])
    let templates = [
        "DECISION 2026-11-21T04:39:15Z symbol=ETHUSDT action=hold confidence=0.62",
        "2026-11-21 04:39:15,123 INFO opened position 1234 ETHUSDT LONG qty=0.5 entry=3012.5 planned_close=04:41:00",
        "2026-11-21 04:39:15,456 WARNING partial tp ETHUSDT LONG stage1 skipped: lock_busy (held by health-check)",
        "2026-11-21 04:39:15,789 ERROR order api: connections limitation is hit, limit = 10, online = 10",
    ]
    var text = ""
    for index in 0..<count { text += templates[index % templates.count]; text += "\n" }
    let bytes = Array(text.utf8)
    var state = rules.initialState
    var splitter = LineSplitter()
    var lines: [LineSplitter.Line] = []
    let started = ContinuousClock.now
    bytes.withUnsafeBufferPointer { buffer in
        var offset = 0
        while offset < buffer.count {
            let end = min(offset + 65536, buffer.count)
            lines.removeAll(keepingCapacity: true)
            splitter.feed(UnsafeBufferPointer(rebasing: buffer[offset..<end]), into: &lines)
            for line in lines {
                rules.apply(LogLine(engine: "bench", stream: .stdout, text: line.text, time: 0, truncated: false), to: &state)
            }
            offset = end
        }
    }
    let seconds = (ContinuousClock.now - started).seconds
    let matched = state.counts.values.reduce(0, +)
    return String(format: "| %d lines × 5 rules | %.0f lines/s | %.2f µs/line | %.0f counter matches |",
                  count, Double(count) / seconds, seconds / Double(count) * 1e6, matched)
}

/// `demo-config NAME DIRECTORY ENGINE_PORT BROKER_PORT INTERVAL|fast [soak]`: one `engines:` entry for the demo
/// engine, exactly as `warden demo` wires it (every probe, check, threshold and policy), at the given probe
/// interval or at the tests' pace. benchmarks/run builds its Warden configs from it, so that what is measured is
/// what users run. `soak` raises what an hour of dense faults would otherwise spend, and nothing else: the
/// engine's restart budget and every policy's budget (1,000 an hour), and the crash backoff's reset (2 minutes up:
/// one crash per ten-minute round of faults is a crash loop under the default 10 minutes).
func demoConfig(_ arguments: [String]) -> String? {
    guard [5, 6].contains(arguments.count), let enginePort = Int(arguments[2]), let brokerPort = Int(arguments[3]),
          arguments.count == 5 || arguments[5] == "soak" else { return nil }
    let (name, directory, interval) = (arguments[0], arguments[1], arguments[4])
    let engine = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("warden-demo-engine").path
    let database = "\(directory)/engine.sqlite"
    // `fast`: the tests' pace (benchmarks/soak); an interval: human pace, probes at that interval (benchmarks/run).
    let fast = interval == "fast"
    let pace = fast ? DemoEngineConfig.Pace.fast
        : DemoEngineConfig.Pace(interval: interval, overdueGrace: "60s", evaluateEvery: interval, startupGrace: "15s",
                                staleInputAfter: "60s", decisionAge: "60s", websocketLag: "60s")
    var entry = DemoEngineConfig.engine(
        name: name,
        command: [engine, "--db", database, "--listen", "127.0.0.1:\(enginePort)", "--broker-port", "\(brokerPort)"]
            + (fast ? DemoEngineConfig.Pace.fastEngineFlags : []),
        workingDirectory: directory, database: database, statusURL: "http://127.0.0.1:\(enginePort)/status",
        brokerPort: brokerPort, pace: pace)
    if arguments.count == 6 {
        entry.restart.budget = 1000
        entry.restart.budgetWindow = .seconds(3600)
        entry.restart.resetAfter = .seconds(120)
        for index in entry.remediation.policies.indices {
            entry.remediation.policies[index].budget = ConfigFile.Budget(max: 1000, window: .seconds(3600))
        }
    }
    return try? ConfigFile.engineEntries([entry])
}

func usage() -> Never {
    FileHandle.standardError.write(Data("""
        usage: warden-bench checks [OPEN_POSITIONS...] | rules | alert-latency [RUNS]
               warden-bench demo-config NAME DIRECTORY ENGINE_PORT BROKER_PORT INTERVAL|fast [soak]

        """.utf8))
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "demo-config":
    guard let yaml = demoConfig(Array(arguments.dropFirst())) else { usage() }
    print(yaml)
case "checks":
    let sizes = arguments.count > 1 ? arguments.dropFirst().compactMap { Int($0) } : [1_000, 10_000, 100_000]
    print("| open positions | cycle median (ms) | cycle p95 (ms) | RSS after (MB) | RssAnon after (MB) |")
    print("| --- | --- | --- | --- | --- |")
    for size in sizes {
        print(try await checkCycle(positions: size, runs: 10))
    }
case "rules":
    print("| log rules | throughput | per line | matches |")
    print("| --- | --- | --- | --- |")
    print(try logRuleThroughput(lines: 500_000))
case "alert-latency":
    print("| alert path | p50 | p95 | min–max | delivered |")
    print("| --- | --- | --- | --- | --- |")
    print(try await alertLatency(runs: arguments.count > 1 ? Int(arguments[1]) ?? 200 : 200))
default:
    usage()
}
