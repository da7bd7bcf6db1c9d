import Foundation
import Hummingbird
import Logging
import NIOCore

/// Warden's HTTP surface. Handlers read the status board and ask supervisors to act; they never hold state.
public struct WardenHTTP: Sendable {
    let version: String
    let instance: String
    let board: StatusBoard
    let metrics: WardenMetrics
    let roster: Roster
    let auth: AdminAuth
    /// Guards every read but `/healthz` when `web.basic_auth_users` names users.
    let basicAuth: BasicAuthenticator?
    /// Where maintenance is begun and ended; none: these routes answer 404.
    let maintenance: MaintenanceDesk?
    let alerts: AlertDesk?
    /// Told the engine's name when a report is accepted, so that the judge looks now rather than at its tick
    /// (as probes do through the probe runner).
    let published: @Sendable (String) -> Void

    /// What the HTTP side needs of alerting: the queue for the status, and a way to send a test message.
    public struct AlertDesk: Sendable {
        let store: WardenStore
        let stats: AlertStats

        public init(store: WardenStore, stats: AlertStats) {
            self.store = store
            self.stats = stats
        }
    }

    /// What handlers look up that a reload may change: the engines, their report intakes, the Alertmanager
    /// receiver, the alert channels; and the reload itself.
    public struct Roster: Sendable {
        public var supervisor: @Sendable (String) -> (any EngineRunner)?
        public var reportIntake: @Sendable (String) -> ReportIntake?
        public var alertmanager: @Sendable () -> AlertmanagerReceiver?
        public var router: @Sendable () -> AlertRouter
        /// How an engine is judged now, so that the status shows its latest reading at the status's time.
        public var evaluator: @Sendable (String) -> HealthEvaluator?
        /// None: Warden did not read its config from a file, and there is nothing to read again.
        public var reload: (@Sendable () async -> ReloadOutcome)?

        public init(supervisor: @escaping @Sendable (String) -> (any EngineRunner)?,
                    reportIntake: @escaping @Sendable (String) -> ReportIntake? = { _ in nil },
                    alertmanager: @escaping @Sendable () -> AlertmanagerReceiver? = { nil },
                    router: @escaping @Sendable () -> AlertRouter = { AlertRouter(channels: []) },
                    evaluator: @escaping @Sendable (String) -> HealthEvaluator? = { _ in nil },
                    reload: (@Sendable () async -> ReloadOutcome)? = nil) {
            self.evaluator = evaluator
            self.supervisor = supervisor
            self.reportIntake = reportIntake
            self.alertmanager = alertmanager
            self.router = router
            self.reload = reload
        }
    }
    /// Alertmanager groups alerts; a notification of many alerts stays well under this.
    static let maxAlertmanagerBody = 1 << 20

    /// How one engine's pushed reports are accepted.
    public struct ReportIntake: Sendable {
        public var auth: AdminAuth
        public var maxBodyBytes: Int
        public var maxAge: Duration
        public var timestamps: TimestampParser

        public init(token: String, maxBodyBytes: Int, maxAge: Duration, timestamps: TimestampParser) {
            auth = AdminAuth(token: token)
            self.maxBodyBytes = maxBodyBytes
            self.maxAge = maxAge
            self.timestamps = timestamps
        }
    }

    public init(version: String, instance: String, board: StatusBoard, metrics: WardenMetrics, roster: Roster, auth: AdminAuth,
                basicAuth: BasicAuthenticator? = nil, maintenance: MaintenanceDesk? = nil,
                alerts: AlertDesk? = nil, published: @escaping @Sendable (String) -> Void = { _ in }) {
        self.maintenance = maintenance
        self.alerts = alerts
        self.published = published
        self.version = version
        self.instance = instance
        self.board = board
        self.metrics = metrics
        self.roster = roster
        self.auth = auth
        self.basicAuth = basicAuth
    }

    /// `/healthz` is open to whoever reaches the listener (a liveness check has no credentials to give). The
    /// other reads need Basic auth when users are configured. The POST routes keep their own Bearer tokens (the
    /// admin token, an engine's report token) instead of Basic: a request carries one `Authorization` header,
    /// Alertmanager's webhook sends one kind of credential, and the token is the stronger of the two.
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("/healthz") { _, _ in
            Self.json(.ok, ["status": "ok"])
        }
        let reads = router.group()
        if let basicAuth { reads.add(middleware: BasicAuthMiddleware(authenticator: basicAuth)) }
        reads.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: ExpositionWriter.contentType],
                     body: .init(byteBuffer: metrics.renderBuffer()))
        }
        reads.get("/readyz") { _, _ in
            let ready = board.allStartsAttempted
            return Self.json(ready ? .ok : .serviceUnavailable, ["status": ready ? "ready" : "starting"])
        }
        reads.get("/") { _, _ in
            let engines = board.snapshot()
            let document = await statusDocument()
            let page = StatusPage.render(.init(
                document: document, trends: Dictionary(uniqueKeysWithValues: engines.map { ($0.name, $0.health.trend) }),
                alerts: alerts?.stats.recent ?? []))
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        reads.get("/api/v1/status") { _, _ in
            Self.json(.ok, await statusDocument())
        }
        @Sendable func statusDocument() async -> StatusDocument {
            let now = Date().timeIntervalSince1970
            var document = StatusDocument(version: version, instance: instance, ready: board.allStartsAttempted,
                                          now: now, engines: board.snapshot()) { status in
                guard let reading = status.health.reading else { return nil }
                return roster.evaluator(status.name)?.readings(status, reading, now: now)
            }
            if let alerts {
                let queued = (try? await alerts.store.outboxSummary()) ?? [:]
                let stats = alerts.stats.snapshot
                document.alerts = Dictionary(uniqueKeysWithValues: roster.router().channels.map { channel in
                    let counts = stats[channel.name]?.results ?? [:]
                    return (channel.name, StatusDocument.AlertChannel(
                        minLevel: channel.minLevel, queued: queued[channel.name]?.depth ?? 0,
                        oldestQueuedAt: queued[channel.name]?.oldest, lastError: queued[channel.name]?.lastError,
                        deadLetters: queued[channel.name]?.deadLetters ?? 0, delivered: counts["delivered"] ?? 0,
                        retried: counts["retried"] ?? 0, failed: counts["failed"] ?? 0))
                })
            }
            return document
        }
        router.post("/api/v1/alerts/test") { request, _ in
            if let refusal = authorize(request) { return refusal }
            guard let alerts else { return Self.error(.notFound, "alerting is not configured") }
            let text = request.uri.queryParameters["text"].map(String.init) ?? "Warden can reach this channel."
            let event = AlertEvent(kind: .test, engine: nil, level: .healthy, reason: String(text.prefix(1000)),
                                   at: Date().timeIntervalSince1970)
            let routed = roster.router().route([event])
            await alerts.store.enqueue(routed, at: event.at)
            return Self.json(.accepted, ["status": "queued", "channels": routed.map(\.channel).joined(separator: ",")])
        }
        // A person working on an engine: `for=30m` (none: until ended), `reason=…`. Warden keeps observing and
        // exporting, takes no remediation and tells nobody of levels until DELETE, or until it expires.
        router.post("/api/v1/engines/:name/maintenance") { request, context in
            if let refusal = authorize(request) { return refusal }
            guard let maintenance else { return Self.error(.notFound, "maintenance is not available") }
            let name = context.parameters.get("name") ?? ""
            let query = request.uri.queryParameters
            var duration: Duration?
            if let text = query["for"].map(String.init) {
                guard let parsed = Units.parseDuration(text), parsed > .zero else {
                    return Self.json(.badRequest, ["error": "invalid for", "field": "for",
                                                   "message": "expected a duration such as 30m or 2h"])
                }
                duration = parsed
            }
            let reason = String((query["reason"].map(String.init) ?? "maintenance").prefix(500))
            guard let begun = await maintenance.begin(name, reason: reason, for: duration, at: Date().timeIntervalSince1970) else {
                return Self.error(.notFound, "no engine named \(name)")
            }
            return Self.json(.ok, begun)
        }
        router.delete("/api/v1/engines/:name/maintenance") { request, context in
            if let refusal = authorize(request) { return refusal }
            guard let maintenance else { return Self.error(.notFound, "maintenance is not available") }
            let name = context.parameters.get("name") ?? ""
            guard let ended = await maintenance.end(name, at: Date().timeIntervalSince1970) else {
                return Self.error(.notFound, "engine \(name) is not in maintenance")
            }
            return Self.json(.ok, ended)
        }
        router.post("/api/v1/engines/:name/restart") { request, context in
            if let refusal = authorize(request) { return refusal }
            let name = context.parameters.get("name") ?? ""
            guard let supervisor = roster.supervisor(name) else {
                return Self.error(.notFound, "no engine named \(name)")
            }
            if let attachment = supervisor.config.attachment, attachment.restartedBy == nil {
                return Self.error(.conflict, "engine \(name) is attached (\(attachment.how)) without control.restart (or stop and start): Warden cannot restart it")
            }
            supervisor.requestRestart(.manual)
            return Self.json(.accepted, ["status": "restart requested", "engine": name])
        }
        router.post("/api/v1/alertmanager") { request, _ in
            if let refusal = authorize(request) { return refusal }
            guard let alertmanager = roster.alertmanager() else {
                return Self.error(.notFound, "Alertmanager remediation is not configured")
            }
            let alerts: [ReceivedAlert]
            do {
                let document = try await Self.jsonBody(request, limit: Self.maxAlertmanagerBody, noun: "notification")
                alerts = try AlertmanagerWebhook.parse(document)
            } catch let refusal as Refusal {
                return refusal.response
            } catch {
                return Self.invalid("notification", error as? PushedReport.Invalid ?? .init(field: "", message: "\(error)"))
            }
            // De-duplication is recorded before answering; the actions themselves run in the background.
            let summary = await alertmanager.receive(alerts)
            return Self.json(.ok, summary)
        }
        router.post("/api/v1/engines/:name/report") { request, context in
            let name = context.parameters.get("name") ?? ""
            guard let intake = roster.reportIntake(name) else {
                return Self.error(.notFound, "engine \(name) does not accept reports (no report: in its config)")
            }
            if intake.auth.check(authorization: request.headers[.authorization]) != .allowed {
                return Self.error(.unauthorized, "unauthorized")
            }
            let document: JSONValue
            do throws(Refusal) {
                document = try await Self.jsonBody(request, limit: intake.maxBodyBytes, noun: "report")
            } catch {
                return error.response
            }
            if let invalid = PushedReport.validate(document, timestamps: intake.timestamps) {
                return Self.invalid("report", invalid)
            }
            let now = Date().timeIntervalSince1970
            let outcome = ProbeOutcome(success: true, durationSeconds: 0, at: now, failure: nil, output: .json(document),
                                       expiresAt: now + intake.maxAge.seconds)
            board.update(name) { $0.observations.probes[PushedReport.probeName] = outcome }
            published(name)
            return Self.json(.accepted, ["status": "accepted"])
        }
        // The Prometheus convention: the file is read again, validated whole, and applied or refused.
        router.post("/-/reload") { request, _ in
            if let refusal = authorize(request) { return refusal }
            guard let reload = roster.reload else {
                return Self.error(.notFound, "this Warden was not started from a config file")
            }
            let outcome = await reload()
            return Self.json(outcome.applied ? .ok : .unprocessableContent, outcome)
        }
        return router
    }

    /// A request refused with this response.
    struct Refusal: Error {
        let response: Response
    }

    /// The body as JSON, or a refusal: 413 over `limit`, 400 with the parser's reason.
    static func jsonBody(_ request: Request, limit: Int, noun: String) async throws(Refusal) -> JSONValue {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: limit)
        } catch {
            throw Refusal(response: Self.error(.contentTooLarge, "a \(noun) is at most \(limit) bytes"))
        }
        do {
            return try JSONValue.parse(Data(body.readableBytesView))
        } catch {
            throw Refusal(response: Self.invalid(noun, .init(field: "", message: JSONValue.reason(error))))
        }
    }

    /// 400 naming the offending field by JSON pointer.
    static func invalid(_ noun: String, _ problem: PushedReport.Invalid) -> Response {
        json(.badRequest, ["error": "invalid \(noun)", "field": problem.field, "message": problem.message])
    }

    /// nil when the request may proceed; otherwise the response to send. 401 says nothing about why.
    func authorize(_ request: Request) -> Response? {
        switch auth.check(authorization: request.headers[.authorization]) {
        case .allowed:
            return nil
        case .disabled:
            return Self.error(.forbidden, "mutating endpoints are disabled: no admin token is configured")
        case .denied:
            var response = Self.error(.unauthorized, "unauthorized")
            response.headers[.wwwAuthenticate] = "Bearer"
            return response
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    static func json(_ status: HTTPResponse.Status, _ value: some Encodable) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(status, ["error": message])
    }
}
