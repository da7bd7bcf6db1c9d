import CWardenSys
import Foundation

/// The JSON Warden posts to a webhook, version 1:
///
/// ```json
/// {"version": "1", "id": "…", "sent_at": 1732160096.5, "warden": "0.1.0",
///  "events": [{"id": "…", "kind": "transition", "engine": "bot", "component": "positions", "from": "HEALTHY",
///              "level": "UNHEALTHY", "reason": "monitor mismatch 6 (UNHEALTHY at ≥ 1)", "value": 6, "threshold": 1,
///              "action": "rearm-monitoring", "at": 1732160095.9}]}
/// ```
/// `id` is the delivery's id (also the `webhook-id` header): a receiver that saw it already can answer 2xx
/// and ignore it. Each event keeps its own `id` across deliveries.
public struct WebhookPayload: Codable, Sendable, Equatable {
    public var version = "1"
    public var id: String
    public var sentAt: Double
    public var warden: String
    /// Which Warden sent it: the config's `instance` (by default the host name).
    public var instance: String?
    public var events: [AlertEvent]

    public init(id: String, sentAt: Double, instance: String? = nil, events: [AlertEvent]) {
        self.id = id
        self.sentAt = sentAt
        self.warden = WardenVersion.current
        self.instance = instance
        self.events = events
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    public func encoded() -> Data { (try? Self.encoder.encode(self)) ?? Data("{}".utf8) }
}

/// Standard Webhooks signatures: `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`.
public enum WebhookSignature {
    /// A `whsec_`-prefixed secret is base64 after the prefix (the Standard Webhooks form); any other secret is
    /// used as its UTF-8 bytes.
    public static func key(_ secret: String) -> [UInt8] {
        if secret.hasPrefix("whsec_"), let data = Data(base64Encoded: String(secret.dropFirst(6))) { return [UInt8](data) }
        return Array(secret.utf8)
    }

    /// A `whsec_` secret must be base64 after the prefix, or every standard receiver rejects the signatures.
    public static func isUsable(_ secret: String) -> Bool {
        !secret.hasPrefix("whsec_") || Data(base64Encoded: String(secret.dropFirst(6))) != nil
    }

    public static func sign(id: String, timestamp: Int, body: Data, secret: String) -> String {
        var message = Data("\(id).\(timestamp).".utf8)
        message.append(body)
        return "v1," + Data(hmacSHA256(key: key(secret), message: [UInt8](message))).base64EncodedString()
    }

    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                out.withUnsafeMutableBufferPointer { o in
                    warden_hmac_sha256(k.baseAddress, k.count, m.baseAddress, m.count, o.baseAddress)
                }
            }
        }
        return out
    }
}
