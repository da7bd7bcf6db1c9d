import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

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

    public init(name: String, url: URL, interval: Duration, timeout: Duration, maxBodyBytes: Int, expectJSON: Bool) {
        self.name = name
        self.url = url
        self.interval = interval
        self.timeout = timeout
        self.maxBodyBytes = maxBodyBytes
        self.expectJSON = expectJSON
    }

    public func run() async -> Result<ProbeOutput, ProbeFailure> {
        let fetch = CappedFetch(maxBytes: maxBodyBytes)
        let result = await fetch.get(url, timeout: timeout)
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

/// One GET through URLSession with a delegate that counts bytes as they arrive.
final class CappedFetch: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    private struct State {
        var body = Data()
        var status = 0
        var overCap = false
        var continuation: CheckedContinuation<Result<(Int, Data), ProbeFailure>, Never>?
        var deadline: Task<Void, Never>?
    }

    private let maxBytes: Int
    private let state = Mutex(State())

    init(maxBytes: Int) { self.maxBytes = maxBytes }

    func get(_ url: URL, timeout: Duration) async -> Result<(Int, Data), ProbeFailure> {
        await send("GET", url, headers: ["Accept": "application/json"], body: nil, timeout: timeout)
    }

    /// One request; failures name the method and the redacted URL.
    func send(_ method: String, _ url: URL, headers: [String: String], body: Data?,
              timeout: Duration) async -> Result<(Int, Data), ProbeFailure> {
        var request = URLRequest(url: url, timeoutInterval: max(timeout.seconds, 0.001))
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForResource = max(timeout.seconds, 0.001)
        let session = URLSession(configuration: configuration, delegate: self, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        let task = session.dataTask(with: request)
        return await withCheckedContinuation { continuation in
            state.withLock { $0.continuation = continuation }
            // The deadline starts only once the continuation is stored, so no outcome can arrive to nobody.
            let deadline = Task {
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                self.finish(.failure(ProbeFailure("\(method) \(url.redacted): no complete answer within \(Units.formatDuration(timeout))")))
                task.cancel()
            }
            state.withLock { $0.deadline = deadline }
            task.resume()
        }
    }

    /// The first outcome wins; later ones (a completion after the deadline) are dropped.
    private func finish(_ result: Result<(Int, Data), ProbeFailure>) {
        let (continuation, deadline) = state.withLock { state in
            defer { state.continuation = nil }
            return (state.continuation, state.deadline)
        }
        deadline?.cancel()
        continuation?.resume(returning: result)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        state.withLock { $0.status = (response as? HTTPURLResponse)?.statusCode ?? 0 }
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        let overCap = state.withLock { state -> Bool in
            guard !state.overCap else { return false }
            state.body.append(data)
            if state.body.count > maxBytes {
                state.overCap = true
                state.body = Data()
                return true
            }
            return false
        }
        if overCap {
            finish(.failure(ProbeFailure("\(dataTask.originalRequest?.httpMethod ?? "GET") \(dataTask.originalRequest?.url?.redacted ?? "?"): body larger than \(maxBytes) bytes")))
            dataTask.cancel()
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: (any Error)?) {
        let url = task.originalRequest?.url?.redacted ?? "?"
        if let error {
            finish(.failure(ProbeFailure("\(task.originalRequest?.httpMethod ?? "GET") \(url): \(error.localizedDescription)")))
        } else {
            let (status, body) = state.withLock { ($0.status, $0.body) }
            finish(.success((status, body)))
        }
    }
}

extension URL {
    /// Scheme, host and port: for URLs whose path may itself be a credential (webhooks).
    var origin: String {
        guard let scheme, let host else { return "<url>" }
        return "\(scheme)://\(host)" + (port.map { ":\($0)" } ?? "") + "/…"
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
