import Foundation

/// `warden maintenance`: begins or ends maintenance of an engine on the Warden running a config file, over that
/// Warden's HTTP API (the address and admin token are the config's).
public enum MaintenanceClient {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Begins maintenance (`end` false) for `duration` (none: until ended), or ends it; returns what Warden
    /// answered, in a line.
    public static func request(_ config: WardenConfig, engine: String, duration: String?, reason: String?,
                               end: Bool) async throws(Failure) -> String {
        guard let source = config.adminToken else {
            throw Failure(description: "the config has no admin_token: this Warden takes no maintenance requests")
        }
        let token: String
        do { token = try source.resolve() } catch { throw Failure(description: "admin_token: \(error.description)") }
        var components = URLComponents()
        components.scheme = config.web.tls == nil ? "http" : "https"
        components.host = config.listen.reachableHost
        components.port = config.listen.port
        components.path = "/api/v1/engines/\(engine)/maintenance"
        if !end {
            components.queryItems = [duration.map { URLQueryItem(name: "for", value: $0) },
                                     reason.map { URLQueryItem(name: "reason", value: $0) }].compactMap { $0 }
        }
        guard let url = components.url else { throw Failure(description: "cannot make a URL for engine \(engine)") }
        let answer = await CappedFetch(maxBytes: 1 << 20, followsRedirects: false)
            .send(end ? "DELETE" : "POST", url, headers: ["Authorization": "Bearer \(token)"], body: nil, timeout: .seconds(10))
        switch answer {
        case .failure(let failure):
            throw Failure(description: "\(failure.description) (is Warden running with this config?)")
        case .success(let (status, body)):
            let text = String(decoding: body, as: UTF8.self)
            guard status == 200 else { throw Failure(description: "Warden answered \(status): \(text)") }
            return text
        }
    }
}
