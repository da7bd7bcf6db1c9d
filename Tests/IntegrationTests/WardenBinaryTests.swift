import Foundation
import Testing
@testable import WardenKit

/// The built `warden` binary, end to end: signals, HTTP, exposition, the CLI.
@Suite(.serialized)
struct WardenBinaryTests {
    static let sleeper = """
          - name: bot
            command: [sh, -c, "sleep 1000 & echo $! > grandchild.pid; trap 'echo got-term; kill $!; exit 0' TERM; wait"]
            sampling_interval: 200ms
        """

    @Test func sigkillOfWardenLeavesNoEngineBehind() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: Self.sleeper)
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))
        try await eventually("the grandchild has started") { directory.read("grandchild.pid") != nil }
        let grandchild = Int32(directory.read("grandchild.pid")!.trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(!isGone(engine) && !isGone(grandchild))

        warden.signal(SIGKILL)
        _ = try await warden.waitExit()
        try await eventually(timeout: .seconds(15), "the engine and its child die with Warden") {
            isGone(engine) && isGone(grandchild)
        }
    }

    /// An `exec` helper still running when Warden is SIGKILLed goes with it, like the engine.
    @Test func sigkillOfWardenLeavesNoHelperBehind() async throws {
        let directory = TempDirectory()
        let token = "helper-token"
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "exec sleep 1000"]
                working_dir: \(directory.path)
                remediation:
                  alertmanager:
                    - {alertname: RunHelper, action: {exec: {command: [sh, -c, "echo $$ > helper.pid; exec sleep 1000"], timeout: 10m}}}
            """, extra: "admin_token: {env: WARDEN_HELPER_TOKEN}", environment: ["WARDEN_HELPER_TOKEN": token])
        try await warden.waitReady()
        let notification = #"{"version":"4","status":"firing","alerts":[{"status":"firing","labels":{"alertname":"RunHelper","engine":"bot"},"startsAt":"2026-11-21T10:00:00Z","fingerprint":"h1"}]}"#
        #expect(try await http(warden.base + "/api/v1/alertmanager", method: "POST", token: token, body: notification).status == 200)
        try await eventually("the helper runs") { directory.read("helper.pid") != nil }
        let helper = try #require(Int32(directory.read("helper.pid")!.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(!isGone(helper))

        warden.signal(SIGKILL)
        _ = try await warden.waitExit()
        try await eventually(timeout: .seconds(15), "the helper dies with Warden") { isGone(helper) }
    }

    @Test func sigtermStopsTheEngineGracefullyAndExitsZero() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: Self.sleeper)
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))

        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
        #expect(isGone(engine))
        let engineLog = try String(contentsOfFile: directory.file("state/logs/bot.log"), encoding: .utf8)
        #expect(engineLog.contains("got-term"), "the engine got SIGTERM and ran its handler")
        #expect(warden.log.contains("warden stopped"))
    }

    @Test func metricsPassPromtoolAndDescribeTheEngine() async throws {
        let demo = try await DemoWarden.start()
        defer { demo.stop() }
        let warden = demo.warden
        // Every family of the catalog, the trading checks included, is exposed once the demo engine runs; the
        // dead-man's switch's only with a `heartbeat:` (HeartbeatTests).
        let heartbeat: Set = [Catalog.heartbeatPings, Catalog.heartbeatLastSuccess]
        try await eventually(timeout: .seconds(20), "every metric family is exposed") {
            let body = try await warden.metrics()
            return Catalog.all.filter { !heartbeat.contains($0) }.allSatisfy { body.contains("# TYPE \($0.name) \($0.kind.rawValue)\n") }
        }
        let response = try await http(warden.base + "/metrics")
        #expect(response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        let body = response.body
        #expect(metric(body, "warden_engine_up{engine=\"demo\"}") == 1)
        #expect(metric(body, "warden_engine_restart_budget_remaining{engine=\"demo\"}") == 10)
        #expect(metric(body, "warden_engine_restarts_total{engine=\"demo\",reason=\"exit\"}") == 0)
        #expect((metric(body, "warden_engine_resident_memory_bytes{engine=\"demo\"}") ?? 0) > 0)
        #expect(metric(body, "warden_probe_success{engine=\"demo\",probe=\"db\"}") == 1)
        #expect(metric(body, "warden_engine_connection_limit{engine=\"demo\",endpoint=\"broker\"}") == 10)
        #expect((metric(body, "process_resident_memory_bytes") ?? 0) > 0)
        #expect(metric(body, "warden_build_info{version=\"\(WardenVersion.current)\",revision=\"\(WardenVersion.revision)\",instance_name=\"\(ProcessInfo.processInfo.hostName)\"}") == 1)

        let promtool = Process()
        promtool.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        promtool.arguments = ["check", "metrics"]
        let input = Pipe()
        let output = Pipe()
        promtool.standardInput = input
        promtool.standardOutput = output
        promtool.standardError = output
        try promtool.run()   // CI installs prometheus; a missing promtool fails here instead of skipping
        input.fileHandleForWriting.write(Data(body.utf8))
        try input.fileHandleForWriting.close()
        promtool.waitUntilExit()
        let findings = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(promtool.terminationStatus == 0)
        #expect(findings.isEmpty, "promtool findings:\n\(findings)")

        // The status page of the same Warden: HTML, the engine, its components, no cache.
        let page = try await http(warden.base + "/")
        #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.headers["cache-control"] == "no-store")
        #expect(page.body.contains("data-engine=\"demo\"") && page.body.contains("data-component=\"positions\""))
    }

    @Test func theRestartEndpointRequiresTheTokenAndRestartsGracefully() async throws {
        let directory = TempDirectory()
        let token = "test-token-\(UUID().uuidString)"
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "env > engine.env; trap 'exit 0' TERM; sleep 1000 & wait"]
            """, extra: "admin_token: {env: WARDEN_TEST_TOKEN}", environment: ["WARDEN_TEST_TOKEN": token])
        try await warden.waitReady()
        let first = try #require(try await warden.enginePid("bot"))
        let url = warden.base + "/api/v1/engines/bot/restart"

        let anonymous = try await http(url, method: "POST")
        #expect(anonymous.status == 401)
        #expect(anonymous.body == #"{"error":"unauthorized"}"#)
        #expect(anonymous.headers["www-authenticate"] == "Bearer")
        let wrong = try await http(url, method: "POST", token: String(token.dropLast()) + "x")
        #expect(wrong.status == 401)
        #expect(wrong.body == anonymous.body, "a wrong token learns nothing more than no token")
        #expect(try await http(warden.base + "/api/v1/engines/nope/restart", method: "POST", token: token).status == 404)
        #expect(try await warden.enginePid("bot") == first)

        let accepted = try await http(url, method: "POST", token: token)
        #expect(accepted.status == 202)
        try await eventually("a new engine process runs") {
            let pid = try await warden.enginePid("bot")
            return pid != nil && pid != first
        }
        #expect(isGone(first))
        let metrics = try await warden.metrics()
        #expect(metric(metrics, "warden_engine_restarts_total{engine=\"bot\",reason=\"manual\"}") == 1)
        let status = try await warden.status()
        #expect(status.engines[0].restartsByReason == ["manual": 1])
        #expect(status.engines[0].lastExit?.code == 0, "the engine's TERM handler exited 0")
        #expect(!warden.log.contains(token), "the token never reaches the log")
        let engineEnvironment = try #require(directory.read("engine.env"))
        #expect(engineEnvironment.contains("WARDEN_ENGINE=bot"))
        #expect(!engineEnvironment.contains(token), "the engine does not inherit the admin token")
        #expect(!(try await http(warden.base + "/api/v1/status").body.contains(token)))
    }

    @Test func mutatingEndpointsAreOffWithoutAnAdminToken() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: Self.sleeper)
        try await warden.waitReady()
        let response = try await http(warden.base + "/api/v1/engines/bot/restart", method: "POST", token: "anything")
        #expect(response.status == 403)
        #expect(try await http(warden.base + "/healthz").status == 200)
    }

    @Test func checkConfigListsEveryProblemWithItsLine() throws {
        let directory = TempDirectory()
        let bad = directory.write("bad.yml", """
            listen: 127.0.0.1:9780
            engines:
              - name: bot
                command: [no-such-program-here]
                restart: {budget: -1}
                colour: blue
            """)
        let (status, output) = try runWarden(["check-config", bad])
        #expect(status == 1)
        #expect(output.contains("FAILED: 3 problem(s)"))
        #expect(output.contains("\(bad):4: engines[0].command: command \"no-such-program-here\" not found in PATH"))
        #expect(output.contains("\(bad):5: engines[0].restart.budget: must be between 0 and 100000, got -1"))
        #expect(output.contains("\(bad):6: engines[0].colour: unknown key \"colour\""))

        let good = directory.write("good.yml", "engines:\n  - {name: bot, command: [sh]}\n")
        let (okStatus, okOutput) = try runWarden(["check-config", good])
        #expect(okStatus == 0)
        #expect(okOutput.contains("SUCCESS: 1 engine(s): bot"))
        #expect(!okOutput.contains("WARNING"))

        // Valid, with a token file every user can read: still a success, and the file is named, never quoted.
        let token = directory.write("token", "t0ken-never-printed")
        chmod(token, 0o644)
        let open = directory.write("open.yml", "admin_token: {file: token}\nengines:\n  - {name: bot, command: [sh]}\n")
        let (openStatus, openOutput) = try runWarden(["check-config", open])
        #expect(openStatus == 0)
        #expect(openOutput.contains("SUCCESS: 1 engine(s): bot"))
        #expect(openOutput.contains("WARNING: \(open):1: admin_token: secret file \(token) is readable by every user on this host (mode 644); chmod o-r it"),
                "\(openOutput)")
        #expect(!openOutput.contains("t0ken-never-printed"))

        let (runStatus, runOutput) = try runWarden(["run", "--config", bad])
        #expect(runStatus == 2, "run refuses an invalid config before starting anything")
        #expect(runOutput.contains("not found in PATH"))
    }

    /// A build that was not told its revision and date (this one: `swift build`) says so rather than guess.
    @Test func versionPrintsTheVersionRevisionAndBuildDate() throws {
        let (status, output) = try runWarden(["version"])
        #expect(status == 0)
        #expect(output == "warden \(WardenVersion.current) (revision unknown, built unknown)\n")
    }

    func runWarden(_ arguments: [String]) throws -> (Int32, String) {
        try runToEnd(productsDirectory + "/warden", arguments)
    }
}

/// The docs must say what the code does, and every link in them must lead somewhere.
struct DocumentationTests {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// The cells of each row of the Markdown tables in `text`, outside code blocks, trimmed.
    static func tableRows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var fenced = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, line.hasPrefix("|"), line.hasSuffix("|") else { continue }
            // Cells split on `|` that is not escaped (`\|` inside a cell).
            var cells: [String] = []
            var cell = ""
            var previous: Character = " "
            for character in line.dropFirst() {
                if character == "|" && previous != "\\" {
                    cells.append(cell.trimmingCharacters(in: .whitespaces))
                    cell = ""
                } else {
                    cell.append(character)
                }
                previous = character
            }
            rows.append(cells)
        }
        return rows
    }

    /// The names in backticks of a cell such as "`a`, `b`".
    static func codeSpans(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    @Test func theMetricsPageListsEveryMetricWithItsTypeAndLabels() throws {
        let page = try Self.read("docs/metrics.md")
        var documented: [String: (kind: String, labels: String, alone: Bool)] = [:]
        for row in Self.tableRows(page) where row.count >= 4 && row[0].hasPrefix("`") {
            let names = Self.codeSpans(row[0])
            for name in names { documented[name] = (row[1], row[2], names.count == 1) }
        }
        for family in Catalog.all {
            guard let entry = documented[family.name] else {
                Issue.record("docs/metrics.md lacks \(family.name)")
                continue
            }
            // A row of its own states the type and the labels; grouped standard metrics share one row.
            if entry.alone {
                #expect(entry.kind == family.kind.rawValue, "docs/metrics.md: \(family.name) is a \(family.kind.rawValue)")
                #expect(entry.labels == family.labels.map { "`\($0)`" }.joined(separator: ", "),
                        "docs/metrics.md: \(family.name) has the labels \(family.labels)")
            }
        }
        let declared = Set(Catalog.all.map(\.name))
        for name in documented.keys.sorted() {
            #expect(declared.contains(name), "docs/metrics.md lists \(name), which Warden does not expose")
        }
    }

    @Test func theConfigurationPageStatesEveryDefault() throws {
        let page = try Self.read("docs/configuration.md")
        var documented: [String: String] = [:]
        for row in Self.tableRows(page) where row.count >= 3 {
            let key = Self.codeSpans(row[0])
            let value = Self.codeSpans(row[1])
            if key.count == 1 && value.count == 1 && row[1] == "`\(value[0])`" { documented[key[0]] = value[0] }
        }
        func text(_ key: String) -> String? {
            let value = documented[key]
            if value == nil { Issue.record("docs/configuration.md states no default for \(key)") }
            return value
        }
        func duration(_ key: String) -> Duration? { text(key).flatMap(Units.parseDuration) }

        // The config model holds every default beside its key; the loader applies them (ConfigModelTests).
        let file = ConfigFile(engines: [])
        let engine = ConfigFile.Engine(name: "bot", command: ["bot"])
        #expect(text("listen") == file.listen.description)
        #expect(text("state_dir") == file.stateDirectory)
        #expect(text("engines[].env") == "{}" && engine.environment.isEmpty)
        #expect(text("engines[].inherit_env") == String(engine.inheritEnvironment))
        #expect(text("engines[].stop.signal") == engine.stop.signal.name)
        #expect(duration("engines[].stop.grace_period") == engine.stop.gracePeriod)
        let restart = engine.restart
        #expect(text("engines[].restart.mode") == restart.mode.rawValue)
        #expect(duration("engines[].restart.initial_backoff") == restart.initialBackoff)
        #expect(text("engines[].restart.multiplier").flatMap(Double.init) == restart.multiplier)
        #expect(duration("engines[].restart.max_backoff") == restart.maxBackoff)
        #expect(text("engines[].restart.jitter").flatMap(Double.init) == restart.jitter)
        #expect(duration("engines[].restart.reset_after") == restart.resetAfter)
        #expect(text("engines[].restart.budget").flatMap { Int($0) } == restart.budget)
        #expect(duration("engines[].restart.budget_window") == restart.budgetWindow)
        #expect(text("engines[].logs.max_size").flatMap(Units.parseByteSize) == engine.logs.maxSize)
        #expect(text("engines[].logs.max_files").flatMap { Int($0) } == engine.logs.maxFiles)
        #expect(duration("engines[].sampling_interval") == engine.samplingInterval)
        #expect(text("engines[].probes[].sqlite.allow_writes") == String(ConfigFile.Probe.SQLite(path: "db").allowWrites))

        let heartbeat = ConfigFile.Heartbeat(url: .text("http://127.0.0.1/ping"))
        #expect(duration("heartbeat.interval") == heartbeat.interval)
        #expect(text("heartbeat.method") == heartbeat.method)
        #expect(text("heartbeat.max_level").flatMap(HealthLevel.init(name:)) == heartbeat.maxLevel)
        #expect(duration("heartbeat.timeout") == heartbeat.timeout)
        #expect(text("web.basic_auth_users") == "{}" && file.web.basicAuthUsers.isEmpty)
        #expect(text("web.public_reads") == String(file.web.publicReads))
        #expect(duration("alerts.group_window") == file.alerts.groupWindow)
        #expect(duration("alerts.repeat_interval") == file.alerts.repeatInterval)
        #expect(duration("alerts.max_age") == file.alerts.maxAge)
        #expect(text("alerts.restarts.level") == file.alerts.restarts.level?.name)
        #expect(duration("alerts.restarts.burst") == file.alerts.restarts.burst)
        let remediation = file.remediation
        #expect(text("remediation.dry_run") == String(remediation.dryRun))
        #expect(text("remediation.budget")
                == "{max: \(remediation.budget.max), window: \(Units.formatDuration(remediation.budget.window))}")
    }

    /// Every relative link and image in README.md and docs/*.md names a file of the repository, and an anchor
    /// in a Markdown file names one of its headings.
    @Test func everyRelativeLinkInTheDocsLeadsToAFileThatExists() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: Self.root + "/docs")
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        let pattern = try Regex(#"\]\(([^)\s]+)\)"#)
        var checked = 0
        for file in ["README.md"] + docs {
            let text = try Self.read(file)
            let directory = URL(fileURLWithPath: Self.root + "/" + file).deletingLastPathComponent()
            var fenced = false
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("```") || line.hasPrefix("  ```") { fenced.toggle() }
                if fenced { continue }
                for match in line.matches(of: pattern) {
                    let target = String(line[match.output[1].range!])
                    if target.contains("://") || target.hasPrefix("mailto:") { continue }
                    let parts = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
                    let path = String(parts[0])
                    let resolved = path.isEmpty ? URL(fileURLWithPath: Self.root + "/" + file)
                                                : directory.appendingPathComponent(path).standardizedFileURL
                    checked += 1
                    guard resolved.path.hasPrefix(Self.root + "/"), FileManager.default.fileExists(atPath: resolved.path) else {
                        Issue.record("\(file): the link \(target) leads to no file of the repository")
                        continue
                    }
                    if parts.count == 2, resolved.pathExtension == "md" {
                        let found = Self.anchors(try String(contentsOf: resolved, encoding: .utf8)).contains(String(parts[1]))
                        #expect(found, "\(file): the link \(target) names no heading")
                    }
                }
            }
        }
        #expect(checked > 20, "the links were found at all")
    }

    /// GitHub's anchors for the headings of a Markdown text: lower case, punctuation dropped, spaces as dashes.
    static func anchors(_ text: String) -> Set<String> {
        var anchors: Set<String> = []
        var fenced = false
        for line in text.split(separator: "\n") {
            if line.hasPrefix("```") { fenced.toggle() }
            guard !fenced, line.hasPrefix("#") else { continue }
            let heading = line.drop { $0 == "#" }.trimmingCharacters(in: .whitespaces)
            anchors.insert(String(heading.lowercased().compactMap { character -> Character? in
                if character == " " { return "-" }
                return character.isLetter || character.isNumber || character == "-" || character == "_" ? character : nil
            }))
        }
        return anchors
    }

    /// The README is the five-minute introduction; the reference lives in docs/.
    @Test func theReadmeStaysUnder16KB() throws {
        let size = try #require(try FileManager.default.attributesOfItem(atPath: Self.root + "/README.md")[.size] as? Int)
        #expect(size < 16 * 1024, "README.md is \(size) bytes: move reference material to docs/")
    }

    @Test func theExamplesAreValidConfigs() throws {
        let example = Self.root + "/examples/python-bot/warden.yml"
        let config = try ConfigLoader().load(file: example)
        #expect(config.engines.map(\.name) == ["python-bot"])
        #expect(config.adminToken == .environment("WARDEN_ADMIN_TOKEN"))
    }

    /// One example per incident (docs/incidents.md), each with the checks its incident needs and the fix its
    /// author built.
    @Test(arguments: [
        ("lost-monitors", [Catalog.monitorMismatch, Catalog.overduePositions], ["rearm-monitoring: http, restart"]),
        ("silent-loop", [Catalog.decisionAge],
         ["restart-when-not-deciding: restart", "restart-when-unanswered: restart", "restart-on-memory: restart"]),
        ("two-loops-one-take-profit", [Catalog.locksStale, Catalog.lockContention],
         ["release-stale-locks: sql", "restart-on-memory: restart"]),
        ("stale-market-data", [Catalog.websocketLag, Catalog.pnlDeviation], []),
        ("leaked-connections-and-unprotected-positions", [Catalog.unprotectedPositions, Catalog.engineConnections], ["record-unprotected: exec"]),
    ])
    func eachIncidentExampleIsValidAndWatchesItsFailure(_ name: String, _ families: [MetricFamily], _ policies: [String]) throws {
        let config: WardenConfig
        do {
            config = try ConfigLoader().load(file: Self.root + "/examples/\(name)/warden.yml")
        } catch {
            Issue.record("examples/\(name)/warden.yml: \(error)")
            return
        }
        let engine = try #require(config.engines.first)
        #expect(!engine.watch.checks.isEmpty)
        // Feed every check empty observations: which families could each produce? Compare declared intent.
        let declared = Set(engine.watch.checks.flatMap { check -> [String] in
            switch check {
            case is PositionsCheck: [Catalog.monitorMismatch, Catalog.overduePositions, Catalog.unprotectedPositions].map(\.name)
            case is LocksCheck: [Catalog.locksStale, Catalog.lockContention].map(\.name)
            case is WebSocketCheck: [Catalog.websocketLag.name]
            case is PnLCheck: [Catalog.pnlDeviation.name]
            case is DecisionsCheck: [Catalog.decisionAge.name]
            case is ConnectionsCheck: [Catalog.engineConnections.name]
            default: []
            }
        })
        for family in families { #expect(declared.contains(family.name), "\(name) watches \(family.name)") }
        let ladders = engine.remediation.policies.map { "\($0.name): \($0.ladder.map(\.action.kind).joined(separator: ", "))" }
        #expect(ladders == policies)
    }
}

extension WardenBinaryTests {
    @Test func aBusyPortIsOneClearErrorAndNoEngineIsLeftBehind() async throws {
        let directory = TempDirectory()
        let (blocker, port) = boundLoopbackSocket(listening: true)
        defer { close(blocker) }

        let config = directory.write("warden.yml", """
            listen: 127.0.0.1:\(port)
            state_dir: state
            engines:
              - name: bot
                command: [sh, -c, "echo $$ > engine.pid; exec sleep 1000"]
                working_dir: \(directory.path)
            """)
        let (status, output) = try runWarden(["run", "--config", config])
        #expect(status == 1)
        #expect(output.contains("warden: cannot listen on 127.0.0.1:\(port): Address already in use"))
        if let pid = directory.read("engine.pid").flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            #expect(isGone(pid), "an engine started before the failure is not left running")
        }
    }
}

extension WardenBinaryTests {
    @Test func enginesAreStoppedTogetherNotOneAfterAnother() async throws {
        let directory = TempDirectory()
        let stubborn = (1...3).map { index in """
              - name: stubborn\(index)
                command: [sh, -c, "trap '' TERM; while true; do sleep 0.2; done"]
                stop: {grace_period: 2s}
                sampling_interval: 10s
            """ }.joined(separator: "\n")
        let warden = try WardenProcess(directory: directory, engines: stubborn)
        try await warden.waitReady()
        let started = ContinuousClock.now
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)
        let took = ContinuousClock.now - started
        // Each engine ignores SIGTERM and is killed after its 2 s grace: together that is about 2 s, one after
        // another it would be 6 s or more (plus up to 10 s of a sampler's sleep).
        #expect(took >= .seconds(2) && took < .seconds(5), "shutdown took \(took)")
    }
}

extension WardenBinaryTests {
    @Test func theRestartBudgetSurvivesWardensOwnRestart() async throws {
        let directory = TempDirectory()
        let crashLoop = """
              - name: loop
                command: [sh, -c, "exit 1"]
                restart: {initial_backoff: 0s, budget: 3, budget_window: 1h}
            """
        let first = try WardenProcess(directory: directory, engines: crashLoop)
        try await first.waitReady()
        try await eventually("the first Warden gives up") { try await first.status().engines[0].needsHuman }
        first.signal(SIGTERM)
        #expect(try await first.waitExit() == 0)

        // A Warden restarted by systemd must not hand a crash-looping engine a fresh budget.
        let second = try WardenProcess(directory: directory, engines: crashLoop)
        try await second.waitReady()
        try await eventually("the second Warden gives up without restarting") { try await second.status().engines[0].needsHuman }
        let engine = try await second.status().engines[0]
        #expect(engine.restartsTotal == 0)
        #expect(engine.budget.remaining == 0)
        #expect(engine.budget.used == 3)
    }
}

extension WardenBinaryTests {
    @Test func aKilledOrphanGuardIsReplacedAndStillProtectsTheEngines() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: Self.sleeper)
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))
        let wardenPid = warden.process.processIdentifier
        func guardPid() -> Int32? {
            ProcSystem().allProcesses().first { $0.ppid == wardenPid && $0.comm == "warden-guard" }?.pid
        }
        let firstGuard = try #require(guardPid())
        kill(firstGuard, SIGKILL)
        try await eventually("a new guard runs") { guardPid().map { $0 != firstGuard } ?? false }
        #expect(warden.log.contains("the orphan guard died; starting a new one"))

        warden.signal(SIGKILL)
        _ = try await warden.waitExit()
        try await eventually(timeout: .seconds(15), "the engine dies with Warden, through the new guard") { isGone(engine) }
    }
}

extension WardenBinaryTests {
    /// A helper that escaped the engine's process group (setsid) and still holds its stdout must not hold up
    /// Warden's shutdown: the log drain gives up after its timeout.
    @Test func anEscapedHelperHoldingTheOutputDoesNotHangShutdown() async throws {
        let directory = TempDirectory()
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "setsid sleep 1000 & echo $! > escaped.pid; exec sleep 1000"]
                working_dir: \(directory.path)
                stop: {grace_period: 1s}
            """)
        try await warden.waitReady()
        try await eventually("the helper has escaped") { directory.read("escaped.pid") != nil }
        let escaped = Int32(directory.read("escaped.pid")!.trimmingCharacters(in: .whitespacesAndNewlines))!
        defer { kill(escaped, SIGKILL) }
        let started = ContinuousClock.now
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit(timeout: .seconds(10)) == 0)
        #expect(ContinuousClock.now - started < .seconds(6), "grace period plus the 2 s drain limit, not forever")
    }

    /// Connection counts belong to a running engine: once it has exited, the series goes away instead of
    /// repeating the last count.
    @Test func connectionCountsDisappearWhenTheEngineStops() async throws {
        let directory = TempDirectory()
        let broker = try BrokerStandIn(port: freePort())
        defer { broker.stop() }
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [python3, -c, "import socket, time; s = socket.create_connection(('127.0.0.1', \(broker.port))); time.sleep(3)"]
                restart: {mode: never}
                sampling_interval: 200ms
                checks:
                  connections: [{name: broker, endpoint: "127.0.0.1:\(broker.port)", limit: 10}]
            """)
        try await warden.waitReady()
        let series = "warden_engine_connections{engine=\"bot\",endpoint=\"broker\"}"
        try await eventually("the engine's connection is counted") { metric(try await warden.metrics(), series) == 1 }
        try await eventually("the count goes away after the engine exits") {
            let metrics = try await warden.metrics()
            return metric(metrics, "warden_engine_up{engine=\"bot\"}") == 0 && metric(metrics, series) == nil
        }
        #expect(metric(try await warden.metrics(), "warden_engine_connection_limit{engine=\"bot\",endpoint=\"broker\"}") == 10)
    }
}
