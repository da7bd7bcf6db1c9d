import Foundation

/// Telegram Bot API `sendMessage`, HTML parse mode. The bot token is part of the URL, so no text this
/// notifier returns ever contains the URL: reasons name the method and Telegram's own description.
public struct TelegramNotifier: Notifier {
    public var apiURL: URL
    public var token: String
    public var chatID: String
    public var threadID: Int?
    public var timeout: Duration
    /// Telegram allows about one message per second in a chat; a self-hosted Bot API server may allow more.
    public var minimumInterval: Duration

    public init(apiURL: URL, token: String, chatID: String, threadID: Int?, timeout: Duration,
                minimumInterval: Duration = .seconds(1)) {
        self.minimumInterval = minimumInterval
        self.apiURL = apiURL
        self.token = token
        self.chatID = chatID
        self.threadID = threadID
        self.timeout = timeout
    }

    struct Request: Encodable {
        var chatId: String
        var text: String
        var parseMode = "HTML"
        var messageThreadId: Int?
        var disableNotification: Bool
        var linkPreviewOptions = ["is_disabled": true]
    }

    struct Answer: Decodable {
        struct Parameters: Decodable { var retryAfter: Int? }
        var ok: Bool
        var description: String?
        var parameters: Parameters?
    }

    public func deliver(_ batch: AlertBatch) async -> DeliveryResult {
        let request = Request(chatId: chatID, text: AlertFormat.telegramHTML(batch.events, instance: batch.instance), messageThreadId: threadID,
                              disableNotification: batch.level < .unhealthy)
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let body = try? encoder.encode(request) else { return .failed(reason: "sendMessage: cannot encode the message") }
        let url = apiURL.appendingPathComponent("bot\(token)").appendingPathComponent("sendMessage")
        let fetch = CappedFetch(maxBytes: 1 << 20)
        switch await fetch.send("POST", url, headers: ["Content-Type": "application/json"], body: body, timeout: timeout) {
        case .failure(let failure):
            return .retry(after: nil, reason: "sendMessage: " + redact(failure.description))
        case .success(let (status, data)):
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            let answer = try? decoder.decode(Answer.self, from: data)
            if (200..<300).contains(status), answer?.ok == false {
                return .failed(reason: "sendMessage: " + redact(answer?.description ?? "ok: false"))
            }
            let retryAfter = answer?.parameters?.retryAfter.map { Duration.seconds($0) }
            return .http(status: status, retryAfter: retryAfter,
                         reason: "sendMessage: HTTP \(status)" + (answer?.description.map { ": " + redact($0) } ?? ""))
        }
    }

    /// The URL (and with it the token) out of any text from the HTTP client.
    private func redact(_ text: String) -> String {
        var text = text.replacingOccurrences(of: token, with: "<bot token>")
        if let range = text.range(of: apiURL.absoluteString) { text.replaceSubrange(range, with: "the Bot API") }
        return text
    }
}
