import Foundation

/// `alerts:` at the top of the config: how and where Warden tells people.
public struct AlertSettings: Sendable {
    /// Events within this window of the first one go out as one message; 0 sends each at once.
    public var groupWindow: Duration = .seconds(10)
    /// An ongoing UNHEALTHY or CRITICAL is said again after this long.
    public var repeatInterval: Duration = .seconds(3600)
    /// A message still undelivered after this long goes to the dead letters.
    public var maxAge: Duration = .seconds(86_400)
    /// Without any configured channel, alerts go to Warden's log.
    public var channels: [AlertChannelConfig] = [AlertChannelConfig(name: "log", minLevel: .degraded, kind: .log)]

    public init() {}
}

public struct AlertChannelConfig: Sendable {
    public enum Kind: Sendable {
        case telegram(apiURL: URL, token: SecretSource, chatID: String, threadID: Int?, timeout: Duration, minInterval: Duration)
        case webhook(url: URL, secret: SecretSource?, headers: [String: String], timeout: Duration)
        case log
    }

    public var name: String
    public var minLevel: HealthLevel
    public var kind: Kind
}
