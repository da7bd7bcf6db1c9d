import Foundation
import Testing
@testable import WardenKit

/// Credentials go where the config sends them: a redirect to another origin loses them, https never becomes
/// http, and a webhook's signed events reach the configured receiver or nobody.
struct RedirectTests {
    static let incident = Incident(id: "bot/1", engine: "bot", source: .policy("rearm"), component: .positions,
                                   level: .unhealthy, check: .monitorMismatch, value: 2, threshold: 1, reason: "monitor mismatch 2")

    /// Header names as the receiving server saw them, lowercased.
    static func headerNames(_ head: String) -> Set<String> {
        Set(head.components(separatedBy: "\r\n").dropFirst().compactMap { line in
            line.split(separator: ":", maxSplits: 1).first.map { $0.lowercased() }
        })
    }

    @Test func aRedirectToAnotherOriginDropsTheCredentials() async throws {
        let target = try MisbehavingServer(.body(status: 200, "{}"))
        defer { target.stop() }
        let redirecting = try MisbehavingServer(.redirect(status: 307, to: "http://127.0.0.1:\(target.port)/rearm"))
        defer { redirecting.stop() }
        let fetch = CappedFetch(maxBytes: 1024, secretHeaders: ["X-Api-Key"])
        let headers = ["Authorization": "Bearer s3cret", "Cookie": "session=s3cret", "Proxy-Authorization": "Basic s3cret",
                       "X-Api-Key": "s3cret", "X-Trace": "visible"]
        let result = await fetch.send("POST", URL(string: "http://127.0.0.1:\(redirecting.port)/rearm")!, headers: headers,
                                      body: Data("{}".utf8), timeout: .seconds(30))
        #expect(try result.get().0 == 200, "the redirect is followed")
        let first = try #require(redirecting.requests.first)
        #expect(Self.headerNames(first).isSuperset(of: ["authorization", "cookie", "x-api-key"]), "the configured origin gets them")
        let followed = try #require(target.requests.first)
        #expect(followed.hasPrefix("POST /rearm "), "307 repeats the request")
        #expect(Self.headerNames(followed).isDisjoint(with: ["authorization", "cookie", "proxy-authorization", "x-api-key"]),
                "\(followed)")
        #expect(!followed.contains("s3cret"))
        #expect(Self.headerNames(followed).contains("x-trace"), "other headers follow")
    }

    @Test func aRedirectWithinTheOriginKeepsTheCredentials() async throws {
        let server = try MisbehavingServer(.moved("{}"))
        defer { server.stop() }
        let fetch = CappedFetch(maxBytes: 1024)
        let result = await fetch.send("GET", URL(string: "http://127.0.0.1:\(server.port)/status")!,
                                      headers: ["Authorization": "Bearer s3cret"], body: nil, timeout: .seconds(30))
        #expect(try result.get().0 == 200)
        #expect(server.requests.count == 2)
        #expect(server.requests.allSatisfy { Self.headerNames($0).contains("authorization") })
    }

    @Test func httpsIsNeverRedirectedToHTTP() {
        let request = HTTPExchange.Request(method: "GET", url: URL(string: "https://bot.example:8443/api/v1/health")!,
                                           headers: ["Authorization": "Basic s3cret"], body: nil)
        let answer = HTTPExchange.Answer(status: 301, location: "http://bot.example:8080/api/v1/health", body: Data())
        guard case .refused(let why) = request.redirected(by: answer, dropping: CappedFetch.credentialHeaders) else {
            Issue.record("an https request followed a redirect to http")
            return
        }
        #expect(why.contains("from https to http"), "\(why)")
        // https to https on another host follows, without the credentials.
        let elsewhere = HTTPExchange.Answer(status: 302, location: "https://other.example/health", body: Data())
        guard case .follow(let next) = request.redirected(by: elsewhere, dropping: CappedFetch.credentialHeaders) else {
            Issue.record("an https redirect was not followed")
            return
        }
        #expect(next.headers["Authorization"] == nil)
    }

    @Test func anHTTPActionRedirectedElsewhereDoesNotHandOverItsToken() async throws {
        let thief = try MisbehavingServer(.body(status: 200, "{}"))
        defer { thief.stop() }
        let engine = try MisbehavingServer(.redirect(status: 302, to: "http://127.0.0.1:\(thief.port)/steal"))
        defer { engine.stop() }
        let action = HTTPAction(method: "POST", url: URL(string: "http://127.0.0.1:\(engine.port)/admin/rearm")!,
                                headers: RequestHeaders(credentials: .bearer(.environment("BOT_TOKEN"))), timeout: .seconds(30))
        let context = ActionContext(supervisor: nil, board: StatusBoard(engines: []), environment: ["BOT_TOKEN": "s3cret"],
                                    logger: .init(label: "test"))
        _ = await action.perform(Self.incident, context)
        let asked = try #require(engine.requests.first)
        #expect(asked.contains("Authorization: Bearer s3cret"), "the configured origin gets the token: \(asked)")
        let stolen = try #require(thief.requests.first, "the redirect was followed")
        #expect(!stolen.contains("s3cret"), "\(stolen)")
    }

    /// A probe of a bot's REST API logs in with basic auth: the configured origin gets the credentials, the
    /// origin a redirect names does not, and the probe's failure reason never quotes them.
    @Test func aProbesBasicAuthGoesToItsOriginOnly() async throws {
        let directory = TempDirectory()
        let password = directory.write("api-password", "pa55-\(UUID().uuidString)\n")
        let thief = try MisbehavingServer(.body(status: 503, "{}"))
        defer { thief.stop() }
        let engine = try MisbehavingServer(.redirect(status: 302, to: "http://127.0.0.1:\(thief.port)/api/v1/health"))
        defer { engine.stop() }
        let probe = HTTPProbe(name: "api", url: URL(string: "http://127.0.0.1:\(engine.port)/api/v1/health")!, interval: .seconds(1),
                              timeout: .seconds(30), maxBodyBytes: 1024, expectJSON: true,
                              headers: RequestHeaders(credentials: .basic(username: "warden", password: .file(password))))
        let result = await probe.run()
        let secret = try String(contentsOfFile: password, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let basic = "Basic " + Data("warden:\(secret)".utf8).base64EncodedString()
        let asked = try #require(engine.requests.first)
        #expect(asked.contains("Authorization: \(basic)"), "\(asked)")
        let stolen = try #require(thief.requests.first, "the redirect was followed")
        #expect(!stolen.contains(basic) && !stolen.lowercased().contains("authorization"), "\(stolen)")
        guard case .failure(let failure) = result else {
            Issue.record("a 503 after the redirect was \(result)")
            return
        }
        #expect(failure.description.contains("HTTP 503") && !failure.description.contains(secret), "\(failure)")
    }

    @Test func aProbeWhoseSecretCannotBeReadFailsNamingTheFileNotAValue() async throws {
        let probe = HTTPProbe(name: "api", url: URL(string: "http://127.0.0.1:9/api/v1/health")!, interval: .seconds(1),
                              timeout: .seconds(5), maxBodyBytes: 1024, expectJSON: true,
                              headers: RequestHeaders(credentials: .bearer(.file("/nonexistent/warden-token"))))
        guard case .failure(let failure) = await probe.run() else {
            Issue.record("a probe without its token succeeded")
            return
        }
        #expect(failure.description.contains("cannot read secret file /nonexistent/warden-token"), "\(failure)")
    }

    @Test func aWebhookThatRedirectsIsAFailedDeliveryAndNothingFollows() async throws {
        let elsewhere = try MisbehavingServer(.body(status: 200, "{}"))
        defer { elsewhere.stop() }
        let receiver = try MisbehavingServer(.redirect(status: 308, to: "http://127.0.0.1:\(elsewhere.port)/hook"))
        defer { receiver.stop() }
        let notifier = WebhookNotifier(url: URL(string: "http://127.0.0.1:\(receiver.port)/hook/T0K3N")!, secret: nil,
                                       headers: [:], timeout: .seconds(30))
        let event = AlertEvent(kind: .test, engine: "bot", level: .degraded, reason: "test", at: 0)
        let result = await notifier.deliver(AlertBatch(id: "b1", events: [event]))
        guard case .failed(let reason) = result else {
            Issue.record("a redirected webhook delivery was \(result)")
            return
        }
        #expect(reason.contains("HTTP 308") && reason.contains("do not follow redirects"), "\(reason)")
        #expect(!reason.contains("T0K3N"), "the webhook's path stays out of the reason")
        #expect(elsewhere.requests.isEmpty, "the signed events went nowhere else")
    }

    /// A header the config gives as `{env: ...}` is secret: the real binary sends it to the configured engine,
    /// not to the origin a redirect names, and its value shows nowhere: not in the log, the status API, the
    /// metrics, the audit, nor the encoded config.
    @Test func aConfigMarkedSecretHeaderStaysWithItsOriginAndOutOfSight() async throws {
        let directory = TempDirectory()
        let key = "api-key-\(UUID().uuidString)"
        let token = "admin-\(UUID().uuidString)"
        let thief = try MisbehavingServer(.body(status: 200, "{}"))
        defer { thief.stop() }
        let engine = try MisbehavingServer(.redirect(status: 307, to: "http://127.0.0.1:\(thief.port)/steal"))
        defer { engine.stop() }
        let warden = try WardenProcess(directory: directory, engines: """
              - name: bot
                command: [sh, -c, "trap 'exit 0' TERM; sleep 1000 & wait"]
                remediation:
                  alertmanager:
                    - alertname: Rearm
                      cooldown: 0s
                      action:
                        http:
                          url: http://127.0.0.1:\(engine.port)/admin/rearm
                          headers: {X-Api-Key: {env: WARDEN_TEST_API_KEY}, X-Trace: visible}
            """, extra: "admin_token: {env: WARDEN_TEST_ADMIN}",
            environment: ["WARDEN_TEST_API_KEY": key, "WARDEN_TEST_ADMIN": token])
        try await warden.waitReady()
        let answer = try await http(warden.base + "/api/v1/alertmanager", method: "POST", token: token,
                                    body: AlertmanagerReceiverTests.payload(alertname: "Rearm", engine: "bot"))
        #expect(answer.status == 200, "\(answer.body)")
        try await eventually("the action reaches the engine and follows its redirect\n\(warden.log)") {
            !thief.requests.isEmpty
        }
        let first = try #require(engine.requests.first)
        #expect(first.contains("X-Api-Key: \(key)"), "the configured origin gets the secret header: \(first)")
        let followed = try #require(thief.requests.first)
        #expect(!Self.headerNames(followed).contains("x-api-key") && !followed.contains(key), "\(followed)")
        #expect(Self.headerNames(followed).contains("x-trace"), "a plain header follows")

        try await eventually("the action is audited") {
            !(try await warden.status()).engines.flatMap { $0.remediation.recent }.isEmpty
        }
        let status = try await http(warden.base + "/api/v1/status").body
        let metrics = try await warden.metrics()
        let page = try await http(warden.base + "/").body
        for (place, text) in [("log", warden.log), ("status", status), ("metrics", metrics), ("page", page)] {
            #expect(!text.contains(key), "the secret header's value is in the \(place)")
        }
        let model = try ConfigLoader(environment: [:]).readModel(directory.read("warden.yml") ?? "", file: "warden.yml")
        let encoded = try model.yaml()
        #expect(encoded.contains("env: WARDEN_TEST_API_KEY") && !encoded.contains(key), "the model keeps the reference: \(encoded)")
    }
}
