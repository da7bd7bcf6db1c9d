import Foundation
import Testing
@testable import WardenKit

struct ConfigLoaderTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])

    func parse(_ yaml: String) throws(ConfigError) -> WardenConfig {
        try loader.parse(yaml, file: "warden.yml", baseDirectory: "/etc/warden")
    }

    func issues(_ yaml: String) -> [ConfigIssue] {
        do {
            _ = try parse(yaml)
            Issue.record("expected the config to be rejected")
            return []
        } catch {
            return error.issues
        }
    }

    /// The package's /etc/warden/warden.yml loads and runs nothing; the engine it shows in a comment loads too,
    /// once uncommented and pointed at a program that exists.
    @Test func thePackagedConfigWatchesNothingUntilAnEngineIsAdded() throws {
        let shipped = try String(contentsOfFile: Repository.root + "/packaging/warden.yml", encoding: .utf8)
        let config = try loader.parse(shipped, file: "warden.yml", baseDirectory: "/etc/warden")
        #expect(config.engines.isEmpty && config.stateDirectory == "/var/lib/warden")
        let example = shipped.split(separator: "\n").drop { $0 != "# engines:" }
            .map { $0.hasPrefix("# ") ? String($0.dropFirst(2)) : String($0) }
            .joined(separator: "\n")
            .replacingOccurrences(of: "/srv/bot/.venv/bin/python", with: "/bin/sh")
            .replacingOccurrences(of: "working_dir: /srv/bot", with: "working_dir: /tmp")
        let edited = shipped.replacingOccurrences(of: "engines: []", with: "") + "\n" + example
        #expect(try loader.parse(edited, file: "warden.yml", baseDirectory: "/etc/warden").engines.map(\.name) == ["bot"], "\(edited)")
    }

    @Test func aMinimalConfigGetsTheDocumentedDefaults() throws {
        let config = try parse("""
            engines:
              - name: bot
                command: [sh, -c, "exit 0"]
            """)
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 9780))
        #expect(config.stateDirectory == "/var/lib/warden")
        let engine = try #require(config.engines.first)
        guard case .command(let argv, let executable) = engine.launch else {
            Issue.record("a command engine: \(engine.launch)")
            return
        }
        #expect(argv == ["sh", "-c", "exit 0"] && (executable == "/usr/bin/sh" || executable == "/bin/sh"))
        #expect(engine.workingDirectory == "/etc/warden")
        #expect(engine.stop == StopPolicy(signal: .term, gracePeriod: .seconds(10)))
        #expect(engine.restart.budget == RestartBudget(limit: 10, window: .seconds(3600)))
        #expect(engine.restart.backoff.initial == .seconds(1))
        #expect(engine.logs == LogPolicy(file: "/var/lib/warden/logs/bot.log", maxBytes: 10_000_000, maxFiles: 5))
        #expect(engine.samplingInterval == .seconds(5))
    }

    /// An engine without planned close times, or without lock rows, leaves that part of a check out: nothing is
    /// queried for it and nothing is judged on it.
    @Test func aPartOfACheckCanBeLeftOut() throws {
        let config = try parse("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: db, sqlite: {path: bot.sqlite}}
                checks:
                  positions: {database: db, overdue_query: off}
                  locks: {database: db, query: off}
            """)
        let checks = try #require(config.engines.first?.watch.checks)
        let queries = checks.flatMap(\.queries).map(\.query.name)
        #expect(queries == ["positions.open", "positions.unprotected", "locks.contention"])
        #expect(Set(checks.flatMap(\.feeds)) == [.monitorMismatch, .unprotectedPositions, .lockContention])

        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: db, sqlite: {path: bot.sqlite}}
                  - {name: status, http: {url: "http://127.0.0.1:1/status"}}
                checks:
                  positions:
                    database: db
                    monitored: {probe: status, pointer: /monitored}
                    open_query: off
            """).map(\.description)
        #expect(found == ["warden.yml:10: engines[0].checks.positions.monitored: monitored positions are compared with open ones, and open_query is off"],
                "\(found)")
        let allOff = issues("""
            engines:
              - name: bot
                command: [sh]
                probes: [{name: db, sqlite: {path: bot.sqlite}}]
                checks:
                  positions: {database: db, open_query: off, overdue_query: off, unprotected_query: off}
            """).map(\.description)
        #expect(allOff.count == 1 && allOff[0].contains("all off"), "\(allOff)")
    }

    @Test func credentialsInAURLAreRefusedWithoutQuotingThem() {
        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: health, http: {url: "http://monitor:s3cret-pass@127.0.0.1:8080/api/v1/health"}}
            """).map(\.description)
        #expect(found.count == 1 && found[0].contains("engines[0].probes[0].http.url: credentials in a URL are not accepted"),
                "\(found)")
        #expect(!found.joined().contains("s3cret-pass"), "the secret is never quoted")
    }

    /// A bot's REST API wants a login: basic auth or a bearer token, from a secret; the resolved probe carries
    /// them with their files found relative to the config, and the encoded config names only where they come from.
    @Test func probesAndActionsLogInWithSecretsOnly() throws {
        let yaml = """
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: api, http: {url: "http://127.0.0.1:8080/api/v1/health", basic_auth: {username: warden, password: {file: api-password}}}}
                  - {name: status, http: {url: "http://127.0.0.1:8080/api/v1/status", bearer_token: {env: BOT_TOKEN}, headers: {X-Bot: freqtrade}}}
                remediation:
                  policies:
                    - {name: start, component: api, ladder: [{http: {url: "http://127.0.0.1:8080/api/v1/start", basic_auth: {username: warden, password: {env: API_PASSWORD}}}}]}
            """
        let engine = try #require(try parse(yaml).engines.first)
        let kinds = engine.watch.probes.map(\.kind)
        guard case .http(_, _, _, let api)? = kinds.first, case .http(_, _, _, let status)? = kinds.last else {
            Issue.record("\(kinds)")
            return
        }
        #expect(api.credentials == .basic(username: "warden", password: .file("/etc/warden/api-password")))
        #expect(status.credentials == .bearer(.environment("BOT_TOKEN")) && status.headers == ["X-Bot": "freqtrade"])
        let (sent, secret) = try status.resolved(environment: ["BOT_TOKEN": "t0ken"])
        #expect(sent["Authorization"] == "Bearer t0ken" && secret == ["Authorization"])
        let model = try ConfigLoader(environment: [:]).readModel(yaml, file: "warden.yml")
        let encoded = try model.yaml()
        #expect(encoded.contains("basic_auth:") && encoded.contains("bearer_token:") && encoded.contains("env: API_PASSWORD"), "\(encoded)")

        let refused = issues("""
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: a, http: {url: "http://127.0.0.1:1/", basic_auth: {username: warden, password: hunter2}}}
                  - {name: b, http: {url: "http://127.0.0.1:1/", bearer_token: {env: T}, basic_auth: {username: u, password: {env: P}}}}
                  - {name: c, http: {url: "http://127.0.0.1:1/", bearer_token: {env: T}, headers: {authorization: x}}}
            """).map(\.description)
        #expect(refused.count == 3, "\(refused)")
        #expect(refused.first?.contains("probes[0].http.basic_auth.password: inline secrets are not accepted") == true, "\(refused)")
        #expect(refused.contains { $0.contains("probes[1].http: give either basic_auth or bearer_token, not both") }, "\(refused)")
        #expect(refused.contains { $0.contains("probes[2].http: an Authorization header and bearer_token both set the same header") },
                "\(refused)")
        #expect(!refused.joined().contains("hunter2"))
    }

    /// A file holding a secret that every user of the host can read does not stop Warden (that would take
    /// monitoring down over a chmod), but each reference is named at its key and line, by the file's path, never
    /// quoted. A group-readable file (root:warden 0640), one in a directory others cannot enter, a certificate
    /// (public by nature) and a secret from the environment pass.
    @Test func aSecretFileEveryUserCanReadIsAWarningNamingItsPath() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-secrets-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let exposed = ["token", "key.pem", "heartbeat-url", "bot-token", "header", "password", "pre-stop", "rung", "mapped"]
        for (name, mode) in exposed.map({ ($0, 0o644) }) + [("group", 0o640), ("cert.pem", 0o644)] {
            FileManager.default.createFile(atPath: "\(directory)/\(name)", contents: Data("s3cr3t-\(name)\n".utf8))
            chmod("\(directory)/\(name)", mode_t(mode))
        }
        let yaml = """
            admin_token: {file: token}
            web:
              tls: {cert_file: cert.pem, key_file: key.pem}
            heartbeat:
              url: {file: heartbeat-url}
            alerts:
              channels:
                - telegram: {bot_token: {file: bot-token}, chat_id: "-100123"}
                - webhook: {url: "http://127.0.0.1:1/", secret: {file: group}, headers: {X-Key: {file: header}}}
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: api, http: {url: "http://127.0.0.1:1/", basic_auth: {username: warden, password: {file: password}}}}
                  - {name: status, http: {url: "http://127.0.0.1:1/", bearer_token: {env: BOT_TOKEN}}}
                remediation:
                  pre_stop: {http: {url: "http://127.0.0.1:1/stop", headers: {X-Key: {file: pre-stop}}}}
                  policies:
                    - {name: start, component: api, ladder: [{http: {url: "http://127.0.0.1:1/", bearer_token: {file: rung}}}]}
                  alertmanager:
                    - {alertname: BotDown, action: {http: {url: "http://127.0.0.1:1/", bearer_token: {file: mapped}}}}
            """
        let config = try loader.parse(yaml, file: "warden.yml", baseDirectory: directory)
        func warning(_ line: Int, _ key: String, _ file: String, holding what: String = "secret file") -> String {
            "warden.yml:\(line): \(key): \(what) \(directory)/\(file) is readable by every user on this host (mode 644); chmod o-r it"
        }
        let warnings = config.warnings.map(\.description)
        #expect(warnings == [
            warning(1, "admin_token", "token"),
            warning(3, "web.tls.key_file", "key.pem", holding: "private key file"),
            warning(5, "heartbeat.url", "heartbeat-url"),
            warning(7, "alerts", "bot-token"),
            warning(7, "alerts", "header"),
            warning(14, "engines[0].probes", "password"),
            warning(17, "engines[0].remediation", "pre-stop"),
            warning(19, "engines[0].remediation.policies[0].ladder", "rung"),
            warning(21, "engines[0].remediation.alertmanager[0].action", "mapped"),
        ], "\(warnings.joined(separator: "\n"))")
        #expect(!warnings.joined().contains("s3cr3t"))

        // A directory others may not enter keeps its files from them, whatever their own mode says.
        chmod(directory, 0o750)
        #expect(try loader.parse(yaml, file: "warden.yml", baseDirectory: directory).warnings.isEmpty)
        chmod(directory, 0o755)
        for name in exposed { chmod("\(directory)/\(name)", 0o600) }
        #expect(try loader.parse(yaml, file: "warden.yml", baseDirectory: directory).warnings.isEmpty)
    }

    /// An empty list would make even exit 0 a failure: refused, at its line.
    @Test func anEmptyListOfCleanExitCodesIsRefused() {
        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                stop: {clean_exit_codes: []}
            """).map(\.description)
        #expect(found == ["warden.yml:4: engines[0].stop.clean_exit_codes: expected at least one exit status, such as [0]"], "\(found)")
    }

    /// `name: ~` is no name: the entry is reported, not dropped without a word (it used to be).
    @Test func anExplicitNullForARequiredKeyIsReported() {
        let found = issues("""
            alerts:
              channels:
                - name: desk
                  telegram: {bot_token: ~, chat_id: "-1"}
            engines:
              - name: bot
                command: [sh]
                probes:
                  - {name: ~, heartbeat_file: {path: hb}}
                log_rules:
                  - {name: decision, match: null}
            """).map(\.description)
        #expect(found.contains { $0.contains("alerts.channels[0].telegram: missing required key \"bot_token\"") }, "\(found)")
        #expect(found.contains { $0.contains("engines[0].probes[0]: missing required key \"name\"") }, "\(found)")
        #expect(found.contains { $0.contains("engines[0].log_rules[0]: missing required key \"match\"") }, "\(found)")
    }

    /// A pattern that would stall Warden (minutes to compile, or backtracking on a line) is named where it is.
    @Test func aLogPatternThatWouldStallWardenIsRefusedWhereItIs() {
        let found = issues(#"""
            engines:
              - name: bot
                command: [sh]
                log_rules:
                  - {name: loop, match: "x*++++++++++++++"}
                  - {name: echo, match: "(a|aa)*\\1b"}
            """#)
        #expect(found.count == 2, "\(found)")
        #expect(found.first?.description.hasPrefix("warden.yml:5: engines[0].log_rules[0].match: regular expression") == true,
                "\(found.first?.description ?? "")")
        #expect(found.first?.message.contains("stacks repetition operators") == true)
        #expect(found.last?.description.hasPrefix("warden.yml:6: engines[0].log_rules[1].match:") == true)
        #expect(found.last?.message.contains("back-reference (\\1)") == true)
    }

    @Test func everySettingIsRead() throws {
        let config = try parse("""
            listen: 127.0.0.1:9100
            state_dir: state
            admin_token: {env: WARDEN_TOKEN}
            engines:
              - name: futures-1
                command: ["/bin/sh", "bot.sh"]
                working_dir: /tmp
                env: {EXCHANGE: binance, EMPTY: ""}
                inherit_env: false
                stop: {signal: SIGINT, grace_period: 1m30s, clean_exit_codes: [0, 130, 143]}
                restart:
                  mode: on-failure
                  initial_backoff: 500ms
                  multiplier: 3
                  max_backoff: 10m
                  jitter: 0
                  reset_after: 1h
                  budget: 4
                  budget_window: 30m
                logs: {file: logs/bot.log, max_size: 2MiB, max_files: 3}
                sampling_interval: 15s
            """)
        #expect(config.stateDirectory == "/etc/warden/state")
        #expect(config.adminToken == .environment("WARDEN_TOKEN"))
        let engine = try #require(config.engines.first)
        #expect(engine.environment == ["EXCHANGE": "binance", "EMPTY": ""])
        #expect(!engine.inheritEnvironment)
        #expect(engine.stop == StopPolicy(signal: .int, gracePeriod: .seconds(90), cleanExitCodes: [0, 130, 143]))
        #expect(engine.restart.mode == .onFailure)
        #expect(engine.restart.backoff == Backoff(initial: .milliseconds(500), multiplier: 3, maximum: .seconds(600),
                                                  jitter: 0, resetAfter: .seconds(3600)))
        #expect(engine.restart.budget == RestartBudget(limit: 4, window: .seconds(1800)))
        #expect(engine.logs == LogPolicy(file: "/etc/warden/logs/bot.log", maxBytes: 2 * 1_048_576, maxFiles: 3))
        #expect(engine.samplingInterval == .seconds(15))
    }

    @Test func everyProblemIsReportedWithItsPathAndLine() {
        let found = issues("""
            listen: 127.0.0.1:9780
            engines:
              - name: bot
                command: [sh, bot.py]
                restart:
                  initial_backof: 1s
                  max_backoff: soon
                  budget: many
                stop: {grace_period: 10}
              - name: bot
                command: [sh]
              - name: other
                command: [definitely-not-a-command-xyz]
                working_dir: /no/such/directory
            """)
        let described = found.map(\.description)
        #expect(described.contains("warden.yml:6: engines[0].restart.initial_backof: unknown key \"initial_backof\" (known keys: budget, budget_window, initial_backoff, jitter, max_backoff, mode, multiplier, reset_after)"))
        #expect(found.contains { $0.line == 7 && $0.path == "engines[0].restart.max_backoff" && $0.message.hasPrefix("invalid duration \"soon\"") })
        #expect(found.contains { $0.line == 8 && $0.path == "engines[0].restart.budget" && $0.message == "expected an integer" })
        #expect(found.contains { $0.line == 9 && $0.path == "engines[0].stop.grace_period" && $0.message.hasPrefix("invalid duration \"10\"") })
        #expect(found.contains { $0.line == 10 && $0.message == "duplicate engine name \"bot\" (first defined on line 3)" })
        #expect(found.contains { $0.line == 13 && $0.path == "engines[2].command" && $0.message == "command \"definitely-not-a-command-xyz\" not found in PATH" })
        #expect(found.contains { $0.line == 14 && $0.path == "engines[2].working_dir" && $0.message == "directory /no/such/directory does not exist" })
        #expect(found.count == 7)
    }

    @Test func wrongTypesAndShapesAreNamed() {
        let found = issues("""
            listen: [1, 2]
            engines:
              - name: "bad name!"
                command: "python3 bot.py"
                sampling_interval: 0s
            """)
        #expect(found.contains { $0.line == 1 && $0.path == "listen" && $0.message == "expected a string" })
        #expect(found.contains { $0.line == 3 && $0.message.hasPrefix("invalid engine name \"bad name!\"") })
        #expect(found.contains { $0.line == 4 && $0.message.hasPrefix("command must be a list of arguments") })
        #expect(found.contains { $0.line == 5 && $0.message == "must be greater than zero" })

        let environment = issues("""
            engines:
              - name: bot
                command: [sh]
                env: {"A=B": x, 9LIVES: y, GOOD_1: z}
            """)
        #expect(environment.map(\.message) == [
            "invalid environment variable name \"9LIVES\": use letters, digits and _, not starting with a digit",
            "invalid environment variable name \"A=B\": use letters, digits and _, not starting with a digit",
        ])
    }

    @Test func secretsMustBeReferencesAndRemoteListenersNeedOne() {
        let inline = issues("""
            admin_token: hunter2
            engines: [{name: a, command: [sh]}]
            """)
        #expect(inline.map(\.message) == ["inline secrets are not accepted; use {file: PATH} or {env: VARIABLE}"])
        #expect(!inline.description.contains("hunter2"))

        let open = issues("""
            listen: 0.0.0.0:9780
            engines: [{name: a, command: [sh]}]
            """)
        #expect(open.first?.message.hasPrefix("listening on 0.0.0.0, which is not loopback, requires admin_token") == true)
    }

    @Test func syntaxErrorsAndMissingKeysAreReported() {
        let syntax = issues("engines:\n  - name: a\n   command: [sh\n")
        #expect(syntax.count == 1)
        #expect(syntax[0].message.hasPrefix("YAML syntax error"))
        #expect(syntax[0].line != nil)

        let missing = issues("engines:\n  - name: a\n")
        #expect(missing.map(\.message) == ["missing required key \"command\" (Warden starts the engine) or \"attach\" (another supervisor runs it)"])
        #expect(issues("listen: 127.0.0.1:1\n").map(\.message) == ["missing required key \"engines\""])
    }

    @Test func duplicateKeysAreNamedWithTheirLineAndTheDocumentIsNeverQuoted() {
        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                env: {API_SECRET: do-not-print-me}
                name: again
            """)
        #expect(found.count == 1)
        #expect(found.first?.message == "duplicate key \"name\" in one mapping")
        #expect(found.first?.line != nil)
        #expect(!found.description.contains("do-not-print-me"))
    }

    @Test func absurdDurationsAreRefusedNotOverflowed() {
        let found = issues("""
            engines:
              - name: bot
                command: [sh]
                restart: {max_backoff: 100000d}
            """)
        #expect(found.map(\.message) == ["must be at most 3650d"])
        #expect(found.first?.line == 4)
        #expect(Duration.seconds(double: 1e12) == .nanoseconds(Int64(9.2e18)), "saturates instead of trapping")
        #expect(Duration.seconds(double: Double.infinity) == Duration.nanoseconds(Int64.max))
    }

    @Test func aRelativeSecretFileIsTakenRelativeToTheConfig() throws {
        let config = try parse("admin_token: {file: secrets/token}\nengines: [{name: a, command: [sh]}]\n")
        #expect(config.adminToken == .file("/etc/warden/secrets/token"))
    }

    @Test func secretSourcesResolveWithoutRevealingThemselves() throws {
        #expect(try SecretSource.environment("T").resolve(environment: ["T": " s3cret\n"]) == "s3cret")
        #expect(throws: SecretError.self) { try SecretSource.environment("T").resolve(environment: [:]) }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("warden-secret-\(UUID())").path
        try "token-from-file\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        #expect(try SecretSource.file(file).resolve() == "token-from-file")
        #expect(SecretSource.file(file).description == "secret file \(file)")
    }

    @Test func unitsParse() {
        #expect(Units.parseDuration("1h30m") == .seconds(5400))
        #expect(Units.parseDuration("250ms") == .milliseconds(250))
        #expect(Units.parseDuration("1.5s") == .milliseconds(1500))
        #expect(Units.parseDuration("0") == .zero)
        #expect(Units.parseDuration("10") == nil)
        #expect(Units.parseDuration("5 s") == nil)
        #expect(Units.parseDuration("-1s") == nil)
        #expect(Units.parseByteSize("10MB") == 10_000_000)
        #expect(Units.parseByteSize("1KiB") == 1024)
        #expect(Units.parseByteSize("12") == 12)
        #expect(Units.parseByteSize("1TB") == nil)
        #expect(Units.formatDuration(.seconds(5430)) == "1h30m30s")
        #expect(Units.formatDuration(.milliseconds(1500)) == "1.500s")
        #expect(ListenAddress(parsing: ":9780") == ListenAddress(host: "127.0.0.1", port: 9780))
        #expect(ListenAddress(parsing: "[::1]:80")?.isLoopback == true)
        #expect(ListenAddress(parsing: "localhost") == nil)
    }
}
