import Foundation
import Testing
@testable import WardenKit

/// `attach` and `control`: an engine another supervisor runs, as the config says it, and what it refuses.
struct AttachConfigTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])

    @Test func anAttachedEngineNeedsNoCommandAndKeepsItsControl() throws {
        let yaml = """
            engines:
              - name: bot
                attach: {pidfile: run/bot.pid, interval: 2s}
                control: {restart: [sh, -c, "supervisorctl restart bot"], timeout: 30s}
                working_dir: /tmp
            """
        let engine = try #require(try loader.parse(yaml, file: "warden.yml", baseDirectory: "/etc/warden").engines.first)
        let attachment = try #require(engine.attachment)
        #expect(attachment.target == .pidfile("/tmp/run/bot.pid") && attachment.interval == .seconds(2))
        #expect(attachment.restartSequence == [["/usr/bin/sh", "-c", "supervisorctl restart bot"]] && attachment.controlTimeout == .seconds(30))
        #expect(attachment.how == "pidfile /tmp/run/bot.pid")
        let model = try loader.readModel(yaml, file: "warden.yml")
        let encoded = try model.yaml()
        #expect(try loader.readModel(encoded, file: "warden.yml") == model && !encoded.contains("command:"), "\(encoded)")
    }

    /// Every problem at its line: both ways of running, neither, a restart nobody can carry out, a pattern refused.
    @Test func whatCannotWorkIsRefusedAtItsLine() {
        let found = configIssues("""
            engines:
              - name: both
                command: [sh]
                attach: {pidfile: bot.pid}
              - name: neither
                working_dir: /tmp
              - name: uncontrolled
                attach: {process: {match: "python3 bot.py"}}
                probes: [{name: api, http: {url: "http://127.0.0.1:1/health"}}]
                remediation:
                  policies: [{name: restart-when-unanswered, component: api, ladder: [{restart: {}}]}]
              - name: remote
                attach: {none: true}
                control: {restart: [sh]}
                probes: [{name: api, http: {url: "http://127.0.0.1:1/health"}}]
                remediation:
                  policies: [{name: kick, component: api, ladder: [{signal: SIGHUP}]}]
              - name: stalling
                attach: {process: {match: "((a?)+)+"}}
              - name: two
                attach: {pidfile: a.pid, none: true}
            """).map(\.description)
        #expect(found.contains { $0.contains(":2: engines[0]: give either command (Warden starts the engine) or attach") }, "\(found)")
        #expect(found.contains { $0.contains(":5: engines[1]: missing required key \"command\" (Warden starts the engine) or \"attach\"") },
                "\(found)")
        #expect(found.contains { $0.contains("engines[2].remediation.policies[0].ladder: policy restart-when-unanswered restarts the engine, which another supervisor runs: give the engine control: {restart: [argv]}") },
                "\(found)")
        #expect(found.contains { $0.contains("engines[3].remediation.policies[0].ladder: policy kick signals the engine, which is attached with none: true") },
                "\(found)")
        #expect(found.contains { $0.contains(":19: engines[4].attach.process.match:") }, "\(found)")
        #expect(found.contains { $0.contains(":21: engines[5].attach: attach needs exactly one of pidfile") }, "\(found)")
    }

    /// The oldest match is the engine, its own children included; two unrelated matches are named, never guessed.
    @Test func theFinderTakesTheOnlyMatchAndNamesSeveral() throws {
        let pattern = try LinePattern("python3 bot\\.py")
        let bot = AttachedProcess.Candidate(pid: 100, startTicks: 5, commandLine: "python3 bot.py --live", uid: 1000)
        let other = AttachedProcess.Candidate(pid: 200, startTicks: 9, commandLine: "python3 bot.py --paper", uid: 1001)
        let editor = AttachedProcess.Candidate(pid: 300, startTicks: 1, commandLine: "vim bot.py", uid: 1000)
        #expect(AttachedProcess.choose([editor, bot], matching: pattern, uid: nil, own: 1) == .process(100))
        #expect(AttachedProcess.choose([bot, other], matching: pattern, uid: 1001, own: 1) == .process(200), "only the user's")
        guard case .absent(let why) = AttachedProcess.choose([other, bot], matching: pattern, uid: nil, own: 1) else {
            Issue.record("two unrelated matches were taken")
            return
        }
        #expect(why.hasPrefix("2 processes match") && why.contains("100 (python3 bot.py --live)") && why.contains("200 ("), "\(why)")
        #expect(AttachedProcess.choose([editor], matching: pattern, uid: nil, own: 1) == .absent("no process matches"))
        #expect(AttachedProcess.choose([bot], matching: pattern, uid: nil, own: 100) == .absent("no process matches"), "never Warden itself")
        // A worker the bot forked (through a shell in between) carries the bot's command line: the bot is still one.
        let shell = AttachedProcess.Candidate(pid: 101, startTicks: 6, commandLine: "sh -c worker", uid: 1000, parent: 100)
        let worker = AttachedProcess.Candidate(pid: 102, startTicks: 7, commandLine: "python3 bot.py --worker", uid: 1000, parent: 101)
        #expect(AttachedProcess.choose([worker, shell, bot], matching: pattern, uid: nil, own: 1) == .process(100))
    }

    /// Without `control.restart`, a restart runs `stop` then `start`; one of those alone is refused at its line.
    @Test func stopThenStartStandsInForARestartCommand() throws {
        let yaml = """
            engines:
              - name: bot
                attach: {process: {match: "node bot.js"}}
                control: {stop: [sh, -c, "pm2 stop bot"], start: [sh, -c, "pm2 start bot"]}
            """
        let engine = try #require(try loader.parse(yaml, file: "warden.yml", baseDirectory: "/etc/warden").engines.first)
        #expect(engine.attachment?.restartSequence == [["/usr/bin/sh", "-c", "pm2 stop bot"], ["/usr/bin/sh", "-c", "pm2 start bot"]])
        #expect(engine.attachment?.restartedBy == "/usr/bin/sh -c pm2 stop bot, then /usr/bin/sh -c pm2 start bot")
        let found = configIssues("""
            engines:
              - name: bot
                attach: {process: {match: "node bot.js"}}
                control:
                  stop: [pm2, stop, bot]
            """).map(\.description)
        #expect(found.contains { $0.contains(":5: engines[0].control.stop: stop needs start beside it") }, "\(found)")
    }

    /// Started by Warden or found: switching waits for a restart of Warden; a new pidfile is taken in place.
    @Test func aReloadDoesNotSwitchAnEngineBetweenCommandAndAttach() throws {
        let started = try loader.readModel("engines: [{name: bot, command: [sh]}]", file: "w.yml")
        let attached = try loader.readModel("engines: [{name: bot, attach: {pidfile: a.pid}}]", file: "w.yml")
        let moved = try loader.readModel("engines: [{name: bot, attach: {pidfile: b.pid}}]", file: "w.yml")
        let switched = ConfigChange(from: started, to: attached)
        #expect(switched.waitingForRestart == ["engines[bot]: command or attach"] && switched.restarted.isEmpty)
        let found = ConfigChange(from: attached, to: moved)
        #expect(found.reattached == ["bot"] && found.restarted.isEmpty, "nothing of an attached engine's is Warden's to restart")
        #expect(found.summary == "found anew: bot")

        // Meanwhile the switched engine runs as it ran: the config a reload applies keeps its command, or its
        // attachment.
        let keptCommand = try loader.parseWithModel("engines: [{name: bot, attach: {pidfile: a.pid}}]", file: "w.yml",
                                                    baseDirectory: "/tmp", keeping: started).config
        guard case .command(let argv, _)? = keptCommand.engines.first?.launch else {
            Issue.record("still started by Warden: \(String(describing: keptCommand.engines.first?.launch))")
            return
        }
        #expect(argv == ["sh"])
        let keptAttachment = try loader.parseWithModel("engines: [{name: bot, command: [sh]}]", file: "w.yml",
                                                       baseDirectory: "/tmp", keeping: attached).config
        #expect(keptAttachment.engines.first?.attachment?.target == .pidfile("/tmp/a.pid"))
    }
}
