import Foundation

/// POSTs the versioned JSON payload, signed in the Standard Webhooks style when a secret is configured:
/// `webhook-id` (the batch id, stable across retries), `webhook-timestamp`, `webhook-signature`.
public struct WebhookNotifier: Notifier {
    public var url: URL
    public var secret: String?
    public var headers: [String: String]
    public var timeout: Duration
    public var minimumInterval: Duration { .zero }

    public init(url: URL, secret: String?, headers: [String: String], timeout: Duration) {
        self.url = url
        self.secret = secret
        self.headers = headers
        self.timeout = timeout
    }

    public func deliver(_ batch: AlertBatch) async -> DeliveryResult {
        let now = Date().timeIntervalSince1970
        let body = WebhookPayload(id: batch.id, sentAt: now, instance: batch.instance, events: batch.events).encoded()
        var headers = self.headers
        headers["Content-Type"] = "application/json"
        headers["webhook-id"] = batch.id
        headers["webhook-timestamp"] = String(Int(now))
        if let secret {
            headers["webhook-signature"] = WebhookSignature.sign(id: batch.id, timestamp: Int(now), body: body, secret: secret)
        }
        // The answer's body is read only to be discarded; a generous cap keeps a chatty receiver's 2xx a 2xx.
        // A redirect is not followed: the events, signed, go to the configured receiver or nowhere.
        let fetch = CappedFetch(maxBytes: 1 << 20, followsRedirects: false)
        // A webhook's path often is its secret (Slack, Discord): failures name the origin only.
        switch await fetch.send("POST", url, headers: headers, body: body, timeout: timeout, shown: \.origin) {
        case .failure(let failure):
            return .retry(after: nil, reason: failure.description)
        case .success(let (status, _)):
            let note = (300..<400).contains(status) ? " (a redirect; webhook deliveries do not follow redirects)" : ""
            return .http(status: status, retryAfter: nil, reason: "POST \(url.origin): HTTP \(status)\(note)")
        }
    }
}
