import Foundation
import Testing
@testable import WardenKit

/// Who may do what over HTTP, and what Warden keeps private on disk (the security rules of docs/RELIABILITY.md).
@Suite(.serialized)
struct SecurityTests {
    /// Every route Warden serves, with a request that would do something if allowed. A test below reads the
    /// routes out of WardenHTTP.swift, so a new route cannot be added without joining this walk.
    static let routes: [(method: String, path: String, body: String?, mutating: Bool)] = [
        ("GET", "/", nil, false),
        ("GET", "/metrics", nil, false),
        ("GET", "/healthz", nil, false),
        ("GET", "/readyz", nil, false),
        ("GET", "/api/v1/status", nil, false),
        ("POST", "/api/v1/alerts/test", nil, true),
        ("POST", "/api/v1/engines/bot/restart", nil, true),
        ("POST", "/api/v1/alertmanager", #"{"version":"4","status":"firing","alerts":[]}"#, true),
        ("POST", "/api/v1/engines/bot/report", #"{"positions":[]}"#, true),
        ("POST", "/-/reload", nil, true),
        ("POST", "/api/v1/engines/bot/maintenance", nil, true),
        ("DELETE", "/api/v1/engines/bot/maintenance", nil, true),
    ]

    @Test func everyRouteIsWalked() throws {
        let source = try String(contentsOfFile: DocumentationTests.root + "/Sources/WardenKit/HTTP/WardenHTTP.swift", encoding: .utf8)
        let pattern = #/(?:router|reads)\.(get|post|put|patch|delete)\("([^"]+)"\)/#
        let served = Set(source.matches(of: pattern).map { "\($0.output.1.uppercased()) \($0.output.2)" })
        let walked = Set(Self.routes.map { "\($0.method) \($0.path.replacingOccurrences(of: "/bot/", with: "/:name/"))" })
        #expect(!served.isEmpty)
        #expect(served == walked, "routes served but not walked: \(served.subtracting(walked)); walked but gone: \(walked.subtracting(served))")
    }

    /// Without a token, or with a wrong one, a mutating route answers 401 with one fixed body and does nothing;
    /// read-only routes answer anyone on loopback; paths that try to climb out are plain 404s.
    @Test func mutatingRoutesAnswerOnlyTheRightToken() async throws {
        let directory = TempDirectory()
        let token = "admin-\(UUID().uuidString)"
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]
                report: {max_age: 60s}
            """, extra: """
            admin_token: {env: WARDEN_SECURITY_TOKEN}
            alerts: {channels: [{name: log, log: {}}]}
            remediation: {}
            """, environment: ["WARDEN_SECURITY_TOKEN": token])
        try await warden.waitReady()
        let engine = try #require(try await warden.enginePid("bot"))

        for route in Self.routes {
            let url = warden.base + route.path
            let anonymous = try await http(url, method: route.method, body: route.body)
            let wrong = try await http(url, method: route.method, token: "x" + token.dropFirst(), body: route.body)
            guard route.mutating else {
                #expect(anonymous.status == 200, "\(route.method) \(route.path) is read-only and open on loopback")
                continue
            }
            #expect(anonymous.status == 401, "\(route.method) \(route.path) without a token")
            #expect(wrong.status == 401, "\(route.method) \(route.path) with a wrong token")
            #expect(anonymous.body == #"{"error":"unauthorized"}"# && wrong.body == anonymous.body,
                    "a refusal says nothing about the route or the token: \(anonymous.body)")
        }
        #expect(try await warden.enginePid("bot") == engine, "no refused request restarted the engine")

        let restart = try await http(warden.base + "/api/v1/engines/bot/restart", method: "POST", token: token)
        #expect(restart.status == 202, "the right token is obeyed")
        let test = try await http(warden.base + "/api/v1/alerts/test", method: "POST", token: token)
        #expect(test.status == 202)
        for climbing in ["/api/v1/engines/..%2F..%2Fetc/restart", "/api/v1/engines/%00/restart", "/api/v1/engines/bot/restart/.."] {
            let response = try await http(warden.base + climbing, method: "POST", token: token)
            #expect([404, 400].contains(response.status), "\(climbing): \(response.status)")
        }
        #expect(!warden.log.contains(token))
    }

    @Test func theStateDirectoryIsPrivateAndASecretFileOpenToEveryoneIsNamed() async throws {
        let directory = TempDirectory()
        let token = "secret-\(UUID().uuidString)"
        let tokenFile = directory.write("admin-token", token)
        chmod(tokenFile, 0o644)
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper,
                                       extra: "admin_token: {file: admin-token}")
        try await warden.waitReady()
        var info = stat()
        #expect(stat(directory.file("state"), &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700, "state directory mode \(String(info.st_mode & 0o777, radix: 8))")
        try await eventually("the open token file is named in the log\n\(warden.log)") {
            warden.log.contains("admin_token: secret file \(tokenFile) is readable by every user on this host (mode 644)")
        }
        #expect(!warden.log.contains(token), "named, never quoted")
        warden.signal(SIGTERM)
        #expect(try await warden.waitExit() == 0)

        // Tightened file, and a state directory someone else created wide open: the warning moves to the directory.
        chmod(tokenFile, 0o600)
        chmod(directory.file("state"), 0o755)
        let again = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper,
                                      extra: "admin_token: {file: admin-token}")
        try await again.waitReady()
        #expect(!again.log.contains("is readable by every user"))
        #expect(again.log.contains("state directory \(directory.path)/state is open to other users (mode 755); chmod 700 it"))
    }

    /// The whole demo with a distinctive value in every secret Warden can be given (admin token, Telegram bot
    /// token, webhook signing secret, the engine's report token): while faults come and go, Warden restarts,
    /// re-arms, takes an Alertmanager-driven action and delivers alerts; then no secret is in its log, its
    /// state directory (database and engine logs), `/metrics`, `/api/v1/status`, the status page, or any alert
    /// as delivered.
    @Test func aWholeDemoRunShowsNoSecretAnywhere() async throws {
        let secrets = AlertOutboxBinaryTests.self
        let fake = try await FakeTelegram(token: secrets.botToken)
        let receiver = try await WebhookReceiver(secret: secrets.webhookSecret)
        let extra = secrets.config(telegram: fake, webhook: receiver, webhookSecret: "{env: WARDEN_TEST_HOOK}")
        let demo = try await DemoWarden.start(extra: extra, environment: secrets.environment.merging(
            ["WARDEN_TEST_HOOK": secrets.webhookSecret]) { $1 }) { engine in
            engine.report = ConfigFile.Report()
        }
        defer { demo.stop() }
        let warden = demo.warden
        let pid = try #require(try await warden.enginePid("demo"))
        let environment = try String(contentsOfFile: "/proc/\(pid)/environ", encoding: .utf8).split(separator: "\0")
        let reportToken = try #require(environment.first { $0.hasPrefix("WARDEN_REPORT_TOKEN=") }?.dropFirst(20))

        // Monitoring lost (re-armed by an http action), an Alertmanager-driven restart, a test alert.
        try await demo.fault("drop_monitoring")
        try await demo.waitForAction("http", .success, timeout: .seconds(40))
        let notification = #"{"version":"4","status":"firing","alerts":[{"status":"firing","#
            + #""labels":{"alertname":"WardenWebSocketStale","engine":"demo"},"startsAt":"2026-11-21T10:00:00Z","fingerprint":"f1"}]}"#
        let posted = try await http(warden.base + "/api/v1/alertmanager", method: "POST", token: secrets.adminToken,
                                    body: notification)
        #expect(posted.status == 200)
        try await demo.waitForAction("restart", .success)
        #expect(try await http(warden.base + "/api/v1/alerts/test", method: "POST", token: secrets.adminToken).status == 202)
        try await eventually(timeout: .seconds(30), "alerts reach both receivers") {
            fake.messages.contains { $0.text.contains("test") } && receiver.deliveries.count >= 3
        }

        var seen = [try await warden.metrics(), try await http(warden.base + "/api/v1/status").body,
                    try await http(warden.base + "/").body, warden.log]
        seen += fake.messages.map(\.text) + receiver.deliveries.map { String(decoding: $0.body, as: UTF8.self) }
        let state = demo.directory.file("state")
        let files = FileManager.default.enumerator(atPath: state)?.compactMap { $0 as? String } ?? []
        #expect(files.contains("warden.sqlite"), "the state directory was read: \(files)")
        for file in files {
            if let data = FileManager.default.contents(atPath: "\(state)/\(file)") { seen.append(String(decoding: data, as: UTF8.self)) }
        }
        for secret in [secrets.botToken, secrets.webhookSecret, secrets.adminToken, String(reportToken),
                       String(secrets.webhookSecret.dropFirst(6))] {
            #expect(!seen.contains { $0.contains(secret) }, "\(secret.prefix(6))… leaked")
        }
    }

    /// Requests no client should send: a 200 KB header, 2,000 headers, a 100 KB path, a request line that is
    /// not HTTP. Each is refused (a 4xx, or the connection closed) and Warden answers the next request as usual.
    @Test func oversizedAndMalformedRequestsAreRefusedAndWardenAnswersOn() async throws {
        let directory = TempDirectory()
        let token = "malformed-\(UUID().uuidString)"
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper,
                                       extra: "admin_token: {env: WARDEN_MALFORMED_TOKEN}",
                                       environment: ["WARDEN_MALFORMED_TOKEN": token])
        try await warden.waitReady()
        let bad: [(String, String)] = [
            ("a 200 KB header", "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 200_000))\r\n\r\n"),
            ("2,000 headers", "GET /metrics HTTP/1.1\r\nHost: x\r\n" + (0..<2000).map { "X-\($0): y\r\n" }.joined() + "\r\n"),
            ("a 100 KB path", "GET /\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n"),
            ("not HTTP", "HELLO THERE\r\n\r\n"),
            ("a body longer than its Content-Length says, with the token",
             "POST /api/v1/alertmanager HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: 5\r\n\r\n{\"version\":\"4\"}"),
        ]
        for (name, request) in bad {
            let (answer, closed) = Self.exchange(port: warden.port, request)
            let statuses = answer.split(separator: "\r\n").filter { $0.hasPrefix("HTTP/1.1 ") }
                .compactMap { Int($0.split(separator: " ")[1]) }
            // Refused: every answer a 4xx (and at least one), or the connection closed without one; never silence.
            #expect(statuses.isEmpty ? closed : statuses.allSatisfy { (400..<500).contains($0) }, "\(name): \(answer.prefix(200))")
            #expect(try await http(warden.base + "/healthz").status == 200, "Warden answers after \(name)")
        }
        #expect(!warden.log.contains("Fatal error"), "nothing in Warden trapped")
    }

    /// Sends raw bytes and returns what came back, and whether the server closed (rather than went quiet for 5 s).
    static func exchange(port: Int, _ request: String) -> (answer: String, closed: Bool) {
        let (fd, _) = boundLoopbackSocket()
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return ("connect failed", false) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { break }   // the server may close before reading it all
            sent += written
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var count = 0
        repeat {
            count = recv(fd, &buffer, buffer.count, 0)
            if count > 0 { received += buffer.prefix(count) }
        } while count > 0
        // 0: an orderly close; -1 with ECONNRESET: closed with data unread. A timeout is EAGAIN.
        let closed = count == 0 || errno == ECONNRESET
        return (String(decoding: received, as: UTF8.self), closed)
    }
}
