import Foundation

/// GETs an engine endpoint within a deadline, with the body capped, and parses it as JSON when asked.
///
/// The deadline covers the whole exchange: an endpoint that accepts and never answers, or answers one byte a
/// second, is cut off at `timeout` all the same. A body over `maxBodyBytes` is abandoned as it arrives.
public struct HTTPProbe: Probe {
    public let name: String
    public let url: URL
    public let interval: Duration
    public let timeout: Duration
    public let maxBodyBytes: Int
    public let expectJSON: Bool
    /// Read at each run: a rotated token file is used from the next run on.
    public let headers: RequestHeaders

    public init(name: String, url: URL, interval: Duration, timeout: Duration, maxBodyBytes: Int, expectJSON: Bool,
                headers: RequestHeaders = RequestHeaders()) {
        self.name = name
        self.url = url
        self.interval = interval
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.expectJSON = expectJSON
        self.headers = headers
    }

    public func run() async -> Result<ProbeOutput, ProbeFailure> {
        var (sent, secret): ([String: String], Set<String>)
        do { (sent, secret) = try headers.resolved(environment: ProcessInfo.processInfo.environment) } catch {
            return .failure(ProbeFailure("GET \(url.redacted): \(error.description)"))
        }
        if !sent.keys.contains(where: { $0.lowercased() == "accept" }) { sent["Accept"] = "application/json" }
        let fetch = CappedFetch(maxBytes: maxBodyBytes, secretHeaders: secret)
        let result = await fetch.send("GET", url, headers: sent, body: nil, timeout: timeout)
        switch result {
        case .failure(let failure):
            return .failure(failure)
        case .success(let (status, body)):
            guard (200..<300).contains(status) else {
                return .failure(ProbeFailure("GET \(url.redacted) answered HTTP \(status)"))
            }
            guard expectJSON else { return .success(.none) }
            do {
                return .success(.json(try JSONValue.parse(body)))
            } catch {
                return .failure(ProbeFailure("GET \(url.redacted): the body is not valid JSON"))
            }
        }
    }
}

extension URL {
    /// Scheme, host and port: for URLs whose path may itself be a credential (webhooks).
    var origin: String {
        guard let scheme, let host else { return "<url>" }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") + "/…"
    }

    /// Scheme, host and effective port, lowercased: two URLs with the same key are the same origin.
    var originKey: String {
        let scheme = (self.scheme ?? "").lowercased()
        return "\(scheme)://\((host ?? "").lowercased()):\(port ?? (scheme == "https" ? 443 : 80))"
    }

    /// Scheme, host, port and path only: a query string or user info may carry an API key, and failure
    /// reasons go to logs and the status API.
    var redacted: String {
        guard var components = URLComponents(url: self, resolvingAgainstBaseURL: false) else { return "<url>" }
        let hidden = components.query != nil || components.user != nil || components.password != nil
        components.query = nil
        components.user = nil
        components.password = nil
        components.fragment = nil
        return (components.string ?? "<url>") + (hidden ? " (query and credentials hidden)" : "")
    }
}
