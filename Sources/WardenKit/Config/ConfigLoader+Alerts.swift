import Foundation

/// Reading `alerts:`.
extension ConfigLoader {
    static let telegramAPI = URL(string: "https://api.telegram.org")!

    func alerts(_ value: YAMLValue?, base: String) -> AlertSettings {
        var settings = AlertSettings()
        guard let map = value?.mapping() else { return settings }
        defer { map.finish() }
        settings.groupWindow = map["group_window"]?.duration() ?? settings.groupWindow
        settings.repeatInterval = map["repeat_interval"]?.duration() ?? settings.repeatInterval
        settings.maxAge = map["max_age"]?.duration(allowZero: false) ?? settings.maxAge
        if let list = map["channels"]?.sequence() {
            var names: Set<String> = []
            settings.channels = list.compactMap { item -> AlertChannelConfig? in
                guard let channel = channel(item, base: base) else { return nil }
                if !names.insert(channel.name).inserted {
                    item.fail("duplicate channel name \"\(channel.name)\"")
                    return nil
                }
                return channel
            }
        }
        return settings
    }

    private func channel(_ value: YAMLValue, base: String) -> AlertChannelConfig? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let declared = ["telegram", "webhook", "log"].filter(map.has)
        guard declared.count == 1, let kindName = declared.first else {
            map.fail("a channel needs exactly one of telegram, webhook or log")
            return nil
        }
        let name = map["name"]?.string() ?? kindName
        if !Self.isValidName(name) { map["name"]?.fail("invalid channel name \"\(name)\": use letters, digits, '_', '-' or '.'") }
        let minLevel = map["min_level"].flatMap(level) ?? .degraded
        let kind: AlertChannelConfig.Kind?
        switch kindName {
        case "telegram": kind = telegram(map["telegram"], base: base)
        case "webhook": kind = webhook(map["webhook"], base: base)
        default:
            _ = map["log"]
            kind = .log
        }
        return kind.map { AlertChannelConfig(name: name, minLevel: minLevel, kind: $0) }
    }

    private func telegram(_ value: YAMLValue?, base: String) -> AlertChannelConfig.Kind? {
        guard let map = value?.mapping() else { return nil }
        defer { map.finish() }
        let token = map["bot_token"].flatMap { secret($0, base: base) }
        if !map.has("bot_token") { map.fail("missing required key \"bot_token\" ({file: PATH} or {env: VARIABLE})") }
        let chat = map["chat_id"]?.string()
        if !map.has("chat_id") { map.fail("missing required key \"chat_id\"") }
        let thread = map["message_thread_id"]?.int(in: 1...Int(Int32.max))
        let api = map["api_url"].flatMap(httpURL) ?? Self.telegramAPI
        let timeout = map["timeout"]?.duration(allowZero: false) ?? .seconds(10)
        let interval = map["min_interval"]?.duration() ?? .seconds(1)
        guard let token, let chat else { return nil }
        return .telegram(apiURL: api, token: token, chatID: chat, threadID: thread, timeout: timeout, minInterval: interval)
    }

    private func webhook(_ value: YAMLValue?, base: String) -> AlertChannelConfig.Kind? {
        guard let map = value?.mapping() else { return nil }
        defer { map.finish() }
        let urlValue = map["url"]
        let url = urlValue.flatMap(httpURL)
        if urlValue == nil { map.fail("missing required key \"url\"") }
        let secret = map["secret"].flatMap { self.secret($0, base: base) }
        let headers = map["headers"]?.stringMap() ?? [:]
        let timeout = map["timeout"]?.duration(allowZero: false) ?? .seconds(5)
        return url.map { .webhook(url: $0, secret: secret, headers: headers, timeout: timeout) }
    }

}
