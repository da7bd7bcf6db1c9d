import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization
@testable import WardenKit

/// Serves `router` on a free loopback port; returns once it listens.
func serveOnLoopback(_ router: Router<BasicRequestContext>) async -> (Task<Void, any Error>, Int) {
    let ready = AsyncStream<Int>.makeStream()
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { ready.continuation.yield($0.localAddress?.port ?? 0) })
    let task = Task { try await app.runService() }
    var iterator = ready.stream.makeAsyncIterator()
    return (task, await iterator.next() ?? 0)
}

/// Lets a route reach the server object that is created after the router: set once, before any request.
final class Late<Value: AnyObject>: @unchecked Sendable {
    var value: Value?
}

/// A local server that speaks the Telegram Bot API's `sendMessage` as Telegram does: the token in the path,
/// `{"ok": true, "result": …}` on success, `{"ok": false, "error_code": …, "description": …}` otherwise, 429
/// with `parameters.retry_after`, 400 for a text over 4096 characters or with entities HTML mode cannot
/// parse. Its behaviour can be switched while it runs: failing, rate limiting, hanging.
final class FakeTelegram: Sendable {
    enum Mode: Sendable, Equatable {
        case ok
        /// 500 Internal Server Error, as during an outage.
        case down
        /// 429 with `retry_after` for the next `count` requests, then ok.
        case rateLimited(retryAfter: Int, count: Int)
        /// 400 Bad Request: chat not found.
        case badChat
        /// Accepts the request and never answers.
        case hang
    }

    struct Message: Sendable {
        var chatID: String
        var text: String
        var threadID: Int?
        var silent: Bool
        var at: Double
    }

    let token: String
    fileprivate let state = Mutex<(mode: Mode, messages: [Message], requests: [Double], rejected: [String])>((.ok, [], [], []))
    private let task: Task<Void, any Error>
    let port: Int

    init(token: String) async throws {
        self.token = token
        let router = Router()
        let stateRef = Late<FakeTelegram>()
        router.post("/:path/sendMessage") { request, context in
            let body = try await request.body.collect(upTo: 1 << 20)
            if stateRef.value!.mode == .hang {
                stateRef.value!.state.withLock { $0.requests.append(Date().timeIntervalSince1970) }
                try await Task.sleep(for: .seconds(3600))
            }
            return stateRef.value!.answer(path: context.parameters.get("path") ?? "", body: Data(body.readableBytesView))
        }
        (task, port) = await serveOnLoopback(router)
        stateRef.value = self
    }

    var url: String { "http://127.0.0.1:\(port)" }
    var messages: [Message] { state.withLock { $0.messages } }
    var requests: [Double] { state.withLock { $0.requests } }
    var rejected: [String] { state.withLock { $0.rejected } }
    func set(_ mode: Mode) { state.withLock { $0.mode = mode } }
    var mode: Mode { state.withLock { $0.mode } }

    private func answer(path: String, body: Data) -> Response {
        let now = Date().timeIntervalSince1970
        guard path == "bot" + token else { return Self.error(401, "Unauthorized") }
        guard let json = try? JSONSerialization.jsonObject(with: body) as? [String: Any], let text = json["text"] as? String,
              let chat = json["chat_id"].map({ "\($0)" }) else {
            return Self.error(400, "Bad Request: message text is empty")
        }
        let mode = state.withLock { state -> Mode in
            state.requests.append(now)
            let mode = state.mode
            if case .rateLimited(let after, let count) = mode {
                state.mode = count > 1 ? .rateLimited(retryAfter: after, count: count - 1) : .ok
            }
            return mode
        }
        switch mode {
        case .down, .hang: return Self.error(500, "Internal Server Error")
        case .badChat: return Self.error(400, "Bad Request: chat not found")
        case .rateLimited(let after, _):
            return Self.error(429, "Too Many Requests: retry after \(after)", parameters: ["retry_after": after])
        case .ok: break
        }
        if text.utf16.count > 4096 { return reject(text, "Bad Request: message is too long") }
        if json["parse_mode"] as? String == "HTML", let problem = Self.htmlProblem(text) {
            return reject(text, "Bad Request: can't parse entities: \(problem)")
        }
        state.withLock {
            $0.messages.append(Message(chatID: chat, text: Self.unescape(text), threadID: json["message_thread_id"] as? Int,
                                       silent: json["disable_notification"] as? Bool ?? false, at: now))
        }
        return Self.json(200, ["ok": true, "result": ["message_id": Int.random(in: 1...1_000_000), "text": text]])
    }

    private func reject(_ text: String, _ description: String) -> Response {
        state.withLock { $0.rejected.append(description) }
        return Self.error(400, description)
    }

    /// Telegram's HTML mode: only known tags, every `&` a known entity, no stray `<` or `>`.
    static func htmlProblem(_ text: String) -> String? {
        var rest = Substring(text)
        while let open = rest.firstIndex(where: { $0 == "<" || $0 == ">" || $0 == "&" }) {
            let tail = rest[open...]
            if tail.hasPrefix("&") {
                guard ["&amp;", "&lt;", "&gt;", "&quot;"].contains(where: { tail.hasPrefix($0) }) else { return "unsupported entity" }
            } else if tail.hasPrefix(">") {
                return "unexpected >"
            } else {
                guard let tag = ["<b>", "</b>", "<i>", "</i>"].first(where: { tail.hasPrefix($0) }) else { return "unsupported start tag" }
                rest = tail.dropFirst(tag.count)
                continue
            }
            rest = tail.dropFirst()
        }
        return nil
    }

    static func unescape(_ html: String) -> String {
        html.replacingOccurrences(of: "<b>", with: "").replacingOccurrences(of: "</b>", with: "")
            .replacingOccurrences(of: "<i>", with: "").replacingOccurrences(of: "</i>", with: "")
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&amp;", with: "&")
    }

    static func error(_ code: Int, _ description: String, parameters: [String: Any]? = nil) -> Response {
        var body: [String: Any] = ["ok": false, "error_code": code, "description": description]
        if let parameters { body["parameters"] = parameters }
        return json(code, body)
    }

    static func json(_ code: Int, _ body: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return Response(status: .init(code: code), headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    deinit { task.cancel() }
}

/// A webhook receiver that checks Standard Webhooks signatures as a careful receiver would, and records
/// what it accepted (or answers a chosen status).
final class WebhookReceiver: Sendable {
    struct Delivery: Sendable {
        var id: String
        var payload: WebhookPayload
        var signatureValid: Bool
        /// The request body as it arrived.
        var body: Data
    }

    let secret: String
    private let state = Mutex<(status: Int, deliveries: [Delivery], attempts: [String])>((200, [], []))
    private let task: Task<Void, any Error>
    let port: Int

    init(secret: String) async throws {
        self.secret = secret
        let router = Router()
        let box = Late<WebhookReceiver>()
        router.post("/hook") { request, _ in
            let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
            return box.value!.answer(request.headers, body)
        }
        (task, port) = await serveOnLoopback(router)
        box.value = self
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var deliveries: [Delivery] { state.withLock { $0.deliveries } }
    /// The `webhook-id` of every request, answered or refused.
    var attempts: [String] { state.withLock { $0.attempts } }
    func answer(with status: Int) { state.withLock { $0.status = status } }

    private func answer(_ headers: HTTPFields, _ body: Data) -> Response {
        let id = headers[HTTPField.Name("webhook-id")!] ?? ""
        let timestamp = Int(headers[HTTPField.Name("webhook-timestamp")!] ?? "") ?? 0
        let signature = headers[HTTPField.Name("webhook-signature")!] ?? ""
        let expected = WebhookSignature.sign(id: id, timestamp: timestamp, body: body, secret: secret)
        let fresh = abs(Double(timestamp) - Date().timeIntervalSince1970) < 300
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let status = state.withLock { state in
            state.attempts.append(id)
            return state.status
        }
        guard status == 200 else { return Response(status: .init(code: status)) }
        guard let payload = try? decoder.decode(WebhookPayload.self, from: body) else { return Response(status: .badRequest) }
        state.withLock {
            $0.deliveries.append(Delivery(id: id, payload: payload, signatureValid: signature == expected && fresh,
                                          body: body))
        }
        return Response(status: .ok)
    }

    deinit { task.cancel() }
}
