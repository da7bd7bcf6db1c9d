import Foundation
import Testing
@testable import WardenKit

// The real freqtrade from PyPI, unpatched, run by the real `warden` binary with examples/freqtrade/warden.yml,
// offline: every Binance host of its config points at a fake exchange on loopback (bot/fake_binance.py).

/// The pinned freqtrade's venv, installed once per machine by scripts/freqtrade-venv (about a minute the first
/// time, milliseconds after). A machine that cannot install it fails the tests that need it; none is skipped.
let freqtradeVenv: Result<String, FreqtradeSetupError> = {
    let root = DocumentationTests.root
    do {
        let (status, output) = try runToEnd(root + "/scripts/freqtrade-venv", [], in: root)
        let path = output.split(separator: "\n").last.map(String.init) ?? ""
        guard status == 0, FileManager.default.isExecutableFile(atPath: path + "/bin/freqtrade") else {
            return .failure(FreqtradeSetupError(description: "scripts/freqtrade-venv failed (\(status)):\n\(output)"))
        }
        return .success(path)
    } catch {
        return .failure(FreqtradeSetupError(description: "scripts/freqtrade-venv could not run: \(error)"))
    }
}()

struct FreqtradeSetupError: Error, CustomStringConvertible {
    let description: String
}

/// The fake Binance of bot/fake_binance.py: market data on one port, its mode switched on another.
final class FakeBinance {
    enum Mode: String { case ok, hang, unavailable = "503", refuse }

    let process = Process()
    let apiPort: Int
    let controlPort: Int

    init() throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [FreqtradeUnderWarden.bot + "/fake_binance.py", "--port", "0", "--control-port", "0", "--quiet"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Two lines, flushed at once: "listening 127.0.0.1:P" and "control 127.0.0.1:C".
        var text = ""
        let reader = output.fileHandleForReading
        while text.filter({ $0 == "\n" }).count < 2 {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let ports = text.split(separator: "\n").compactMap { $0.split(separator: ":").last.flatMap { Int($0) } }
        guard ports.count == 2 else { throw FreqtradeSetupError(description: "the fake exchange said: \(text)") }
        (apiPort, controlPort) = (ports[0], ports[1])
    }

    var url: String { "http://127.0.0.1:\(apiPort)" }

    func set(_ mode: Mode) async throws {
        let answer = try await http("http://127.0.0.1:\(controlPort)/control/mode", method: "POST", body: mode.rawValue)
        #expect(answer.status == 200, "the fake exchange took mode \(mode.rawValue): \(answer.body)")
    }

    /// SIGKILL, which cannot be held up: a wait here blocks one of the test run's few threads.
    deinit {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}

/// freqtrade under Warden, as examples/freqtrade/warden.yml runs it, with only paths and ports changed.
final class FreqtradeUnderWarden {
    static let bot = DocumentationTests.root + "/Tests/IntegrationTests/Freqtrade/bot"
    static let example = DocumentationTests.root + "/examples/freqtrade/warden.yml"

    let directory: TempDirectory
    let exchange: FakeBinance
    let webhook: WebhookReceiver
    let telegram: FakeTelegram
    let warden: WardenProcess
    let apiPort: Int
    let apiPassword = "api-\(UUID().uuidString.prefix(12))"
    /// freqtrade's directory: its config, strategy, database and the `.venv` link the example's command runs.
    var bot: String { directory.file("freqtrade") }

    /// `holdSeconds`: how long the test strategy keeps a trade (it opens one per pair each minute).
    init(holdSeconds: Int, _ name: String = #function) async throws {
        let venv = try freqtradeVenv.get()
        directory = TempDirectory(name)
        exchange = try FakeBinance()
        webhook = try await WebhookReceiver(secret: "whsec-\(UUID().uuidString)")
        telegram = try await FakeTelegram(token: "123456:\(UUID().uuidString.prefix(20))")
        apiPort = freePort()
        let wardenPort = freePort()
        try Self.layOut(bot: directory.file("freqtrade"), venv: venv, exchange: exchange.url, apiPort: apiPort,
                        password: apiPassword, holdSeconds: holdSeconds)
        let secrets = directory.file("etc")
        try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        for (file, value) in [("freqtrade-api-password", apiPassword), ("telegram-bot-token", telegram.token),
                              ("webhook-secret", webhook.secret), ("admin-token", "admin-\(UUID().uuidString)")] {
            let path = secrets + "/" + file
            try (value + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            chmod(path, 0o600)
        }
        // The example as shipped, paths and ports made this test's.
        var config = try String(contentsOfFile: Self.example, encoding: .utf8)
        for (from, to) in [("/opt/freqtrade", directory.file("freqtrade")), ("/etc/warden/", secrets + "/"),
                           ("/var/lib/warden", directory.file("state")), ("127.0.0.1:8080", "127.0.0.1:\(apiPort)"),
                           ("127.0.0.1:9780", "127.0.0.1:\(wardenPort)"), ("https://api.telegram.org", telegram.url),
                           ("http://127.0.0.1:9099/warden", webhook.url),
                           // A dry run keeps its trades apart: freqtrade's default database is then this one.
                           ("sqlite: {path: tradesv3.sqlite}", "sqlite: {path: tradesv3.dryrun.sqlite}")] {
            #expect(config.contains(from), "the example names \(from)")
            config = config.replacingOccurrences(of: from, with: to)
        }
        let path = directory.write("warden.yml", config)
        warden = try WardenProcess(directory: directory, config: path, port: wardenPort)
        try await warden.waitReady()
    }

    /// freqtrade's directory: the bot's config from bot/config.json with this run's ports and password, the test
    /// strategy in user_data/strategies, and `.venv` linking the pinned install.
    private static func layOut(bot: String, venv: String, exchange: String, apiPort: Int, password: String,
                               holdSeconds: Int) throws {
        let strategies = bot + "/user_data/strategies"
        try FileManager.default.createDirectory(atPath: strategies, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: bot + "/.venv", withDestinationPath: venv)
        try FileManager.default.copyItem(atPath: Self.bot + "/QuickFlipStrategy.py", toPath: strategies + "/QuickFlipStrategy.py")
        var template = try String(contentsOfFile: Self.bot + "/config.json", encoding: .utf8)
        for (placeholder, value) in [("@BINANCE_URL@", exchange), ("@API_PORT@", String(apiPort)), ("@API_PASSWORD@", password),
                                     ("@DB_URL@", "sqlite:///tradesv3.dryrun.sqlite"), ("@LOG_FILE@", bot + "/user_data/logs/freqtrade.log")] {
            template = template.replacingOccurrences(of: placeholder, with: value)
        }
        guard var config = try JSONSerialization.jsonObject(with: Data(template.utf8)) as? [String: Any] else {
            throw FreqtradeSetupError(description: "bot/config.json is not a JSON object")
        }
        config["strategy"] = "QuickFlipStrategy"
        config["quickflip_hold_seconds"] = holdSeconds
        // The example's unprotected-trade query reads the stop-loss orders freqtrade places on the exchange.
        var orderTypes = config["order_types"] as? [String: Any] ?? [:]
        orderTypes["stoploss_on_exchange"] = true
        config["order_types"] = orderTypes
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: bot + "/user_data/config.json"))
    }

    // MARK: What Warden says

    func metrics() async throws -> String { try await warden.metrics() }

    func value(_ series: String) async throws -> Double? { metric(try await metrics(), series) }

    func engine() async throws -> StatusDocument.Engine {
        try #require(try await warden.status().engines.first { $0.name == "freqtrade" })
    }

    func level(_ component: HealthComponent) async throws -> HealthLevel? {
        try await engine().health.components[component.rawValue]?.level
    }

    /// Waits until freqtrade runs, answers Warden's probes and every component is judged HEALTHY.
    func waitHealthy(timeout: Duration = .seconds(120)) async throws {
        try await eventually(timeout: timeout, every: FreqtradeTests.poll, "freqtrade runs and every component is HEALTHY\n\(warden.log)") {
            guard let engine = try? await self.engine(), engine.state == "running", engine.health.evaluatedAt != nil,
                  engine.probes["api"]?.success == true, engine.probes["db"]?.success == true else { return false }
            return engine.health.components.values.allSatisfy { $0.level == .healthy && $0.rawLevel == .healthy }
                && engine.health.components.keys.contains("positions")
        }
    }

    /// freqtrade's own REST API, as a person would call it.
    func botAPI(_ method: String, _ path: String) async throws -> HTTPResult {
        let credentials = Data("warden:\(apiPassword)".utf8).base64EncodedString()
        return try await http("http://127.0.0.1:\(apiPort)/api/v1/\(path)", method: method, headers: ["Authorization": "Basic \(credentials)"])
    }

    /// Events the webhook received, for this engine's component.
    func alerts(_ component: HealthComponent) -> [AlertEvent] {
        webhook.deliveries.flatMap(\.payload.events).filter { $0.component == component.rawValue }
    }

    /// What freqtrade printed, as Warden captured it.
    var botLog: String { directory.read("state/logs/freqtrade.log") ?? "" }
}
