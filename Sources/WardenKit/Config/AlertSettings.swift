import Foundation

/// `alerts:` at the top of the config: how and where Warden tells people. The defaults are the config
/// model's (`ConfigFile.Alerts`).
public struct AlertSettings: Sendable {
    /// Events within this window of the first one go out as one message; 0 sends each at once.
    public var groupWindow = ConfigFile.Alerts().groupWindow
    /// An ongoing UNHEALTHY or CRITICAL is said again after this long.
    public var repeatInterval = ConfigFile.Alerts().repeatInterval
    /// A message still undelivered after this long goes to the dead letters.
    public var maxAge = ConfigFile.Alerts().maxAge
    /// Without a channel in the config, alerts go to Warden's log (a channel that names no secret).
    public var channels = ConfigFile.Alerts().channels.map { AlertChannelConfig($0, secret: { $0 }) }
    /// The level of a restart's message (none: no message), and the burst within which they are grouped.
    public var restarts = ConfigFile.Alerts().restarts

    public init() {}
}

public struct AlertChannelConfig: Sendable {
    public enum Kind: Sendable {
        case telegram(apiURL: URL, token: SecretSource, chatID: String, threadID: Int?, timeout: Duration, minInterval: Duration)
        case webhook(url: URL, secret: SecretSource?, headers: [String: TextOrSecret], timeout: Duration)
        case log
    }

    public var name: String
    public var minLevel: HealthLevel
    public var kind: Kind
}
