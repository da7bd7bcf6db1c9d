extension ConfigFile.Alerts {
    static func read(_ map: MappingReader) -> Self {
        var alerts = Self()
        alerts.groupWindow = map[CodingKeys.groupWindow]?.duration() ?? alerts.groupWindow
        alerts.repeatInterval = map[CodingKeys.repeatInterval]?.duration() ?? alerts.repeatInterval
        alerts.maxAge = map[CodingKeys.maxAge]?.duration(allowZero: false) ?? alerts.maxAge
        if let restarts = map[CodingKeys.restarts]?.readMapping(ConfigFile.Restarts.read) { alerts.restarts = restarts }
        if let list = map[CodingKeys.channels]?.sequence() {
            var names: Set<String> = []
            alerts.channels = list.compactMap { item in
                guard let channel = item.readMapping(ConfigFile.Channel.read) else { return nil }
                guard names.insert(channel.effectiveName).inserted else {
                    item.fail("duplicate channel name \"\(channel.effectiveName)\"")
                    return nil
                }
                return channel
            }
        }
        return alerts
    }
}

extension ConfigFile.Restarts {
    static func read(_ map: MappingReader) -> Self {
        var restarts = Self()
        let level: HealthLevel?? = map[CodingKeys.level]?.parsed({ text in
            text.lowercased() == "off" ? .some(nil) : HealthLevel(name: text).map { .some($0) }
        }, refusal: { _ in "expected healthy, degraded, unhealthy, critical or off" })
        if let level { restarts.level = level }
        restarts.burst = map[CodingKeys.burst]?.duration() ?? restarts.burst
        return restarts
    }
}

extension ConfigFile.Channel {
    static func read(_ map: MappingReader) -> Self? {
        let declared = kindKeys.filter(map.has)
        guard declared.count == 1, let kindKey = declared.first else {
            map.fail("a channel needs exactly one of telegram, webhook or log")
            return nil
        }
        let name = map[CodingKeys.name]?.string()
        if let name, !ConfigFile.Engine.isValidName(name) {
            map[CodingKeys.name]?.fail("invalid channel name \"\(name)\": use letters, digits, '_', '-' or '.'")
        }
        let minLevel = map[CodingKeys.minLevel]?.level()
        let kind: Kind?
        switch kindKey {
        case .telegram: kind = map[kindKey]?.readMapping(Telegram.read).map(Kind.telegram)
        case .webhook: kind = map[kindKey]?.readMapping(Webhook.read).map(Kind.webhook)
        default:
            _ = map[kindKey]
            kind = .log
        }
        guard let kind else { return nil }
        var channel = Self(kind: kind)
        channel.name = name
        channel.minLevel = minLevel ?? channel.minLevel
        return channel
    }
}

extension ConfigFile.Channel.Telegram {
    static func read(_ map: MappingReader) -> Self? {
        let token = map.required(CodingKeys.botToken, "{file: PATH} or {env: VARIABLE}")?.secret()
        let chat = map.required(CodingKeys.chatID)?.string()
        let thread = map[CodingKeys.messageThreadID]?.int(in: 1...Int(Int32.max))
        let api = map[CodingKeys.apiURL]?.httpURL()
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false)
        let interval = map[CodingKeys.minInterval]?.duration()
        guard let token, let chat else { return nil }
        var telegram = Self(botToken: token, chatID: chat)
        telegram.messageThreadID = thread
        telegram.apiURL = api ?? telegram.apiURL
        telegram.timeout = timeout ?? telegram.timeout
        telegram.minInterval = interval ?? telegram.minInterval
        return telegram
    }
}

extension ConfigFile.Channel.Webhook {
    static func read(_ map: MappingReader) -> Self? {
        let url = map.required(CodingKeys.url)?.httpURL()
        let secret = map[CodingKeys.secret]?.secret()
        let headers = map[CodingKeys.headers]?.headers()
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false)
        guard let url else { return nil }
        var webhook = Self(url: url)
        webhook.secret = secret
        webhook.headers = headers ?? webhook.headers
        webhook.timeout = timeout ?? webhook.timeout
        return webhook
    }
}
