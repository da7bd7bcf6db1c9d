import Foundation

extension ConfigFile {
    /// `alerts:`: how and where Warden tells people.
    public struct Alerts: Sendable, Equatable, Encodable {
        /// Events within this window of the first one go out as one message; 0 sends each at once.
        @DurationNotation public var groupWindow: Duration = .seconds(10)
        /// An ongoing UNHEALTHY or CRITICAL is said again after this long.
        @DurationNotation public var repeatInterval: Duration = .seconds(3600)
        /// A message still undelivered after this long goes to the dead letters.
        @DurationNotation public var maxAge: Duration = .seconds(86_400)
        /// Without any channel written, alerts go to Warden's log; an empty list sends them nowhere.
        public var channels = [Channel(kind: .log)]
        public var restarts = Restarts()

        enum CodingKeys: String, CodingKey {
            case groupWindow = "group_window", repeatInterval = "repeat_interval", maxAge = "max_age", channels, restarts
        }
    }

    /// `restarts:`: a message for every unplanned exit that Warden restarts.
    public struct Restarts: Sendable, Equatable, Encodable {
        /// DEGRADED: a webhook and the log hear of every crash, Telegram silently. None (`off`): no message.
        public var level: HealthLevel? = .degraded
        /// Exits within this long of the last one told are held back and counted in the next message, so that
        /// a crash loop is one message per burst (the CRITICAL of a spent budget comes as a health transition).
        @DurationNotation public var burst: Duration = .seconds(600)

        enum CodingKeys: String, CodingKey { case level, burst }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(level?.name ?? "off", forKey: .level)
            try container.encode(_burst, forKey: .burst)
        }
    }

    /// One `channels:` entry: a destination and the least level it is told about.
    public struct Channel: Sendable, Equatable, Encodable {
        public enum Kind: Sendable, Equatable {
            case telegram(Telegram)
            case webhook(Webhook)
            case log
        }

        /// None: the kind's name (`telegram`, `webhook`, `log`).
        public var name: String?
        public var minLevel = HealthLevel.degraded
        public var kind: Kind

        enum CodingKeys: String, CodingKey, CaseIterable { case name, minLevel = "min_level", telegram, webhook, log }

        static let kindKeys: [CodingKeys] = [.telegram, .webhook, .log]

        init(kind: Kind) { self.kind = kind }

        var kindKey: CodingKeys {
            switch kind {
            case .telegram: .telegram
            case .webhook: .webhook
            case .log: .log
            }
        }

        /// The name alerts and metrics use.
        var effectiveName: String { name ?? kindKey.stringValue }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(name, forKey: .name)
            try container.encode(minLevel, forKey: .minLevel)
            switch kind {
            case .telegram(let telegram): try container.encode(telegram, forKey: .telegram)
            case .webhook(let webhook): try container.encode(webhook, forKey: .webhook)
            case .log: _ = container.nestedContainer(keyedBy: CodingKeys.self, forKey: .log)
            }
        }

        /// A Telegram chat (or one topic of it) that a bot posts to.
        public struct Telegram: Sendable, Equatable, Encodable {
            public static let defaultAPI = URL(string: "https://api.telegram.org")!

            public var botToken: SecretSource
            public var chatID: String
            /// A topic of a forum chat; none: the chat itself.
            public var messageThreadID: Int?
            public var apiURL = Telegram.defaultAPI
            @DurationNotation public var timeout: Duration = .seconds(10)
            /// Telegram allows about one message per second in a chat.
            @DurationNotation public var minInterval: Duration = .seconds(1)

            enum CodingKeys: String, CodingKey {
                case botToken = "bot_token", chatID = "chat_id", messageThreadID = "message_thread_id", apiURL = "api_url"
                case timeout, minInterval = "min_interval"
            }

            init(botToken: SecretSource, chatID: String) {
                self.botToken = botToken
                self.chatID = chatID
            }
        }

        /// A JSON POST, signed with `secret` when one is given.
        public struct Webhook: Sendable, Equatable, Encodable {
            public var url: URL
            public var secret: SecretSource?
            /// A value given as `{file:}` or `{env:}` is a secret header (`TextOrSecret`).
            @SortedByName public var headers: [String: TextOrSecret] = [:]
            @DurationNotation public var timeout: Duration = .seconds(5)

            enum CodingKeys: String, CodingKey { case url, secret, headers, timeout }

            init(url: URL) { self.url = url }
        }
    }
}
