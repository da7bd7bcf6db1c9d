import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// One HTTP/1.1 request over SwiftNIO (the event loops Hummingbird already runs), with a deadline over the
/// whole exchange and the answer's body capped as it arrives.
///
/// Not URLSession: on Linux that is FoundationNetworking over libcurl, which maps libcurl, GnuTLS, OpenSSL,
/// Kerberos, libssh2 and p11-kit into every Warden process for the few requests a probe, an alert or an
/// action makes; leaving it cut a release `warden run` from 51 to 42 MB resident (docs/MEMORY-NOTES.md).
/// Redirects are followed the way URLSession follows them, with two exceptions that keep credentials where
/// they were meant to go: a redirect from https to http is refused, and a redirect to another origin drops
/// `Authorization`, `Cookie`, `Proxy-Authorization` and every header the caller names as secret.
struct CappedFetch: Sendable {
    /// URLSession's limit on Linux (and Darwin's): a loop of redirects ends here, if the deadline has not.
    static let maxRedirects = 20
    /// Headers that carry credentials whatever the config says of them.
    static let credentialHeaders: Set<String> = ["authorization", "cookie", "proxy-authorization"]
    let maxBytes: Int
    /// false: a 3xx is the answer (webhook deliveries, whose receiver must be the configured one).
    var followsRedirects = true
    /// Names of further headers (any case) that must not follow a redirect to another origin.
    var secretHeaders: Set<String> = []

    init(maxBytes: Int, followsRedirects: Bool = true, secretHeaders: Set<String> = []) {
        self.maxBytes = maxBytes
        self.followsRedirects = followsRedirects
        self.secretHeaders = Set(secretHeaders.map { $0.lowercased() })
    }

    /// One request and the redirects it leads to, all within `timeout`; failures name the method and the URL
    /// of the request that failed as `shown` writes it (redacted by default; a webhook shows only its origin,
    /// because its path is often its secret).
    func send(_ method: String, _ url: URL, headers: [String: String], body: Data?, timeout: Duration,
              shown: (URL) -> String = \.redacted) async -> Result<(Int, Data), ProbeFailure> {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        var request = HTTPExchange.Request(method: method, url: url, headers: headers, body: body)
        for _ in 0...Self.maxRedirects {
            let place = "\(request.method) \(shown(request.url))"
            let outcome = await HTTPExchange.run(request, maxBytes: maxBytes, deadline: deadline)
            switch outcome {
            case .failure(let failure):
                return .failure(ProbeFailure("\(place): \(failure.reason(maxBytes: maxBytes, timeout: timeout))"))
            case .success(let answer):
                guard followsRedirects else { return .success((answer.status, answer.body)) }
                switch request.redirected(by: answer, dropping: Self.credentialHeaders.union(secretHeaders)) {
                case .final: return .success((answer.status, answer.body))
                case .refused(let why): return .failure(ProbeFailure("\(place): \(why)"))
                case .follow(let next): request = next
                }
            }
        }
        return .failure(ProbeFailure("\(method) \(shown(url)): more than \(Self.maxRedirects) redirects"))
    }
}

/// One request on one connection (`Connection: close`), plain or TLS.
enum HTTPExchange {
    struct Request: Sendable, Equatable {
        var method: String
        var url: URL
        var headers: [String: String]
        var body: Data?

        enum Redirect: Equatable {
            /// The answer is final: not a redirect, or one that leads nowhere Warden can go.
            case final
            case follow(Request)
            case refused(String)
        }

        /// The request a 3xx answer leads to, as URLSession builds it: 303, and 301/302 after a POST, turn
        /// into a body-less GET; the others repeat the request. A redirect from https to http is refused; one
        /// to another origin (scheme, host, port) goes without the headers named in `secret` (lowercase).
        func redirected(by answer: Answer, dropping secret: Set<String>) -> Redirect {
            guard [301, 302, 303, 305, 306, 307, 308].contains(answer.status), let location = answer.location,
                  let target = URL(string: location, relativeTo: url)?.absoluteURL, Endpoint(target) != nil else { return .final }
            if url.scheme?.lowercased() == "https" && target.scheme?.lowercased() == "http" {
                return .refused("HTTP \(answer.status) redirects from https to http (\(target.origin)); refused")
            }
            var next = self
            next.url = target
            if target.originKey != url.originKey {
                next.headers = next.headers.filter { !secret.contains($0.key.lowercased()) }
            }
            if answer.status == 303 || (method == "POST" && answer.status <= 302) {
                next.method = "GET"
                next.body = nil
                next.headers["Content-Type"] = nil
            }
            return .follow(next)
        }
    }

    struct Answer: Sendable {
        var status: Int
        var location: String?
        var body: Data
    }

    enum Failure: Error, Equatable {
        case timedOut
        case overCap
        case closedEarly
        case unsupportedURL
        case network(String)

        func reason(maxBytes: Int, timeout: Duration) -> String {
            switch self {
            case .timedOut: "no complete answer within \(Units.formatDuration(timeout))"
            case .overCap: "body larger than \(maxBytes) bytes"
            case .closedEarly: "the connection closed before the answer was complete"
            case .unsupportedURL: "only http and https URLs with a host can be fetched"
            case .network(let text): text
            }
        }
    }

    /// Where to connect, and what to say in the `Host` header and to TLS.
    struct Endpoint: Sendable {
        var host: String
        var port: Int
        var tls: Bool
        var hostHeader: String
        var target: String

        init?(_ url: URL) {
            guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
                  let host = url.host, !host.isEmpty,
                  let components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return nil }
            self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
            tls = scheme == "https"
            port = url.port ?? (tls ? 443 : 80)
            let bracketed = self.host.contains(":") ? "[\(self.host)]" : self.host
            hostHeader = url.port.map { "\(bracketed):\($0)" } ?? bracketed
            let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
            target = path + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        }

        /// TLS sends a server name only for names, never for an address literal.
        var serverName: String? {
            (try? SocketAddress(ipAddress: host, port: port)) == nil ? host : nil
        }
    }

    static func run(_ request: Request, maxBytes: Int, deadline: NIODeadline) async -> Result<Answer, Failure> {
        guard let endpoint = Endpoint(request.url) else { return .failure(.unsupportedURL) }
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let promise = loop.makePromise(of: Result<Answer, Failure>.self)
        loop.execute {
            let bound = NIOLoopBound(Outcome(promise), eventLoop: loop)
            bound.value.deadline = loop.scheduleTask(deadline: deadline) { bound.value.finish(.failure(.timedOut)) }
            connect(endpoint, on: loop, maxBytes: maxBytes, outcome: bound, deadline: deadline)
                .whenComplete { result in
                    switch result {
                    case .success(let channel):
                        bound.value.channel = channel
                        write(request, to: endpoint, on: channel, outcome: bound)
                    case .failure(let error):
                        bound.value.finish(.failure(connectFailure(error)))
                    }
                }
        }
        return (try? await promise.futureResult.get()) ?? .failure(.closedEarly)
    }

    private static func connect(_ endpoint: Endpoint, on loop: any EventLoop, maxBytes: Int,
                                outcome: NIOLoopBound<Outcome>, deadline: NIODeadline) -> EventLoopFuture<any Channel> {
        let tls: NIOSSLContext?
        do {
            // Built per request: the trust roots it loads stay in memory only while an alert is sent.
            tls = endpoint.tls ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        } catch {
            return loop.makeFailedFuture(error)
        }
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(max(deadline - .now(), .milliseconds(1)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls {
                        try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: endpoint.serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(AnswerCollector(maxBytes: maxBytes, outcome: outcome.value))
                }
            }
        // An address literal (the usual engine endpoint, 127.0.0.1) needs no resolver: no getaddrinfo on a
        // thread pool that a loaded host may keep waiting.
        if let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
            return bootstrap.connect(to: address)
        }
        return bootstrap.connect(host: endpoint.host, port: endpoint.port)
    }

    private static func write(_ request: Request, to endpoint: Endpoint, on channel: any Channel,
                              outcome: NIOLoopBound<Outcome>) {
        var headers = HTTPHeaders(request.headers.map { ($0.key, $0.value) })
        headers.replaceOrAdd(name: "Host", value: endpoint.hostHeader)
        headers.replaceOrAdd(name: "Connection", value: "close")
        if let body = request.body { headers.replaceOrAdd(name: "Content-Length", value: String(body.count)) }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: request.method),
                                   uri: endpoint.target, headers: headers)
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body = request.body {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil)).whenFailure { error in
            outcome.value.finish(.failure(describe(error)))
        }
    }

    /// Words for a log line: errno's text rather than NIO's descriptions, which name the address (and a
    /// webhook's or the Bot API's URL must never show).
    static func describe(_ error: any Error) -> Failure {
        switch error {
        case let error as NIOConnectionError:
            if let first = error.connectionErrors.first { return .network("cannot connect: \(text(first.error))") }
            return .network("cannot resolve the host")
        case ChannelError.connectTimeout:
            return .timedOut
        case let error as HTTPParserError:
            return .network("malformed HTTP answer (\(error))")
        case NIOSSLError.handshakeFailed(let error):
            return .network("TLS handshake failed: \(tlsReason(error))")
        case let error as NIOSSLError:
            return .network("TLS: \(error)")
        case let error as BoringSSLError:
            return .network("TLS: \(tlsReason(error))")
        default:
            return .network(text(error))
        }
    }

    /// A failed connect reads "cannot connect: …" whether NIO reports it as a connection error (a name tried
    /// address by address) or as the socket's own error (an address literal).
    static func connectFailure(_ error: any Error) -> Failure {
        switch describe(error) {
        case .network(let text) where !text.hasPrefix("cannot "): .network("cannot connect: \(text)")
        case let failure: failure
        }
    }

    /// BoringSSL's reason (`CERTIFICATE_VERIFY_FAILED`, …) without its error code and source path.
    static func tlsReason(_ error: BoringSSLError) -> String {
        guard case .sslError(let errors) = error, let first = errors.first else { return "\(error)" }
        let text = "\(first)".components(separatedBy: " at ")[0]
        return text.split(separator: ":").last.map(String.init) ?? text
    }

    private static func text(_ error: any Error) -> String {
        if let error = error as? IOError { return String(cString: strerror(error.errnoCode)) }
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        return "\(error)"
    }
}

/// The exchange's single outcome: the first of answer, deadline, cap or error wins, the rest are dropped.
/// Confined to the exchange's event loop.
final class Outcome {
    let promise: EventLoopPromise<Result<HTTPExchange.Answer, HTTPExchange.Failure>>
    var deadline: Scheduled<Void>?
    var channel: (any Channel)?
    private(set) var done = false

    init(_ promise: EventLoopPromise<Result<HTTPExchange.Answer, HTTPExchange.Failure>>) { self.promise = promise }

    func finish(_ result: Result<HTTPExchange.Answer, HTTPExchange.Failure>) {
        guard !done else { return }
        done = true
        deadline?.cancel()
        channel?.close(promise: nil)
        promise.succeed(result)
    }
}

/// Collects status, `Location` and body; abandons the body once it passes the cap.
final class AnswerCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    private let maxBytes: Int
    private let outcome: Outcome
    private var status = 0
    private var location: String?
    private var body = ByteBuffer()

    init(maxBytes: Int, outcome: Outcome) {
        self.maxBytes = maxBytes
        self.outcome = outcome
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !outcome.done else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            location = head.headers.first(name: "Location")
        case .body(var chunk):
            guard body.readableBytes + chunk.readableBytes <= maxBytes else {
                body = ByteBuffer()
                outcome.finish(.failure(.overCap))
                return
            }
            body.writeBuffer(&chunk)
        case .end:
            outcome.finish(.success(HTTPExchange.Answer(status: status, location: location, body: Data(body.readableBytesView))))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A server that closes without TLS close_notify: what matters is whether the answer was complete,
        // which the decoder tells when the channel goes inactive.
        if let error = error as? NIOSSLError, error == .uncleanShutdown { return }
        outcome.finish(.failure(HTTPExchange.describe(error)))
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.finish(.failure(.closedEarly))
    }
}
