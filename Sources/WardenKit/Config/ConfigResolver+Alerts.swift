/// Converting `alerts:`: secret files are found relative to the config.
extension ConfigResolver {
    /// `location`: the file's, whose `alerts` key secret warnings name.
    func resolve(_ alerts: ConfigFile.Alerts, at location: ConfigLocation) -> AlertSettings {
        var settings = AlertSettings()
        settings.groupWindow = alerts.groupWindow
        settings.repeatInterval = alerts.repeatInterval
        settings.maxAge = alerts.maxAge
        settings.restarts = alerts.restarts
        settings.channels = alerts.channels.map { channel in
            AlertChannelConfig(channel) { resolve($0, at: location, key: ConfigFile.CodingKeys.alerts.stringValue) }
        }
        return settings
    }
}

extension AlertChannelConfig {
    /// A channel of the model, with `secret` finding its secret files.
    init(_ channel: ConfigFile.Channel, secret: (SecretSource) -> SecretSource) {
        let kind: Kind
        switch channel.kind {
        case .telegram(let telegram):
            kind = .telegram(apiURL: telegram.apiURL, token: secret(telegram.botToken), chatID: telegram.chatID,
                             threadID: telegram.messageThreadID, timeout: telegram.timeout, minInterval: telegram.minInterval)
        case .webhook(let webhook):
            kind = .webhook(url: webhook.url, secret: webhook.secret.map(secret), headers: webhook.headers.mapValues { $0.mapSecret(secret) }, timeout: webhook.timeout)
        case .log:
            kind = .log
        }
        self.init(name: channel.effectiveName, minLevel: channel.minLevel, kind: kind)
    }
}
