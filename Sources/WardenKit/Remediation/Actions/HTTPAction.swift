import Foundation

/// Calls an engine endpoint, such as "re-arm monitoring": 2xx is success, anything else failure.
public struct HTTPAction: RemediationAction {
    public var method: String
    public var url: URL
    /// Secret headers and credentials are read at each call, and never follow a redirect to another origin.
    public var headers: RequestHeaders
    public var body: String?
    public var timeout: Duration
    static let maxResponseBytes = 64 * 1024

    public init(method: String, url: URL, headers: RequestHeaders = RequestHeaders(), body: String? = nil, timeout: Duration) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    public var kind: String { "http" }
    public var summary: String { "\(method) \(url.redacted)" }

    public func perform(_ incident: Incident, _ context: ActionContext) async -> ActionOutcome {
        var (headers, secret): ([String: String], Set<String>)
        do { (headers, secret) = try self.headers.resolved(environment: context.environment) } catch {
            return ActionOutcome(.failure, error.description)
        }
        headers["X-Warden-Incident"] = incident.id
        if body != nil && headers["Content-Type"] == nil { headers["Content-Type"] = "application/json" }
        let fetch = CappedFetch(maxBytes: Self.maxResponseBytes, secretHeaders: secret)
        switch await fetch.send(method, url, headers: headers, body: body.map { Data($0.utf8) }, timeout: timeout) {
        case .failure(let failure):
            return ActionOutcome(.failure, failure.description)
        case .success(let (status, data)):
            let output = String(decoding: data.prefix(4096), as: UTF8.self)
            return ActionOutcome((200..<300).contains(status) ? .success : .failure, "HTTP \(status)", output: output)
        }
    }
}
