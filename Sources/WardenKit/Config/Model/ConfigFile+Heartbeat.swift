import Foundation

extension ConfigFile {
    /// `heartbeat:`: a dead-man's switch. Warden pings `url` every `interval` while it runs, its loops turn and
    /// every engine is at or below `max_level`; otherwise it pings the fail URL. A monitor that hears nothing
    /// (healthchecks.io, Uptime Kuma, Better Stack) raises the alarm Warden itself no longer can.
    public struct Heartbeat: Sendable, Equatable, Encodable {
        public static let methods = ["GET", "POST"]

        /// The ping URL; its path often is the check's secret, so `{file:}` or `{env:}` may hold it.
        public var url: TextOrSecret
        @DurationNotation public var interval: Duration = .seconds(60)
        /// `GET` or `POST` (an empty body).
        public var method = "GET"
        /// The worst engine level that still counts as alive.
        public var maxLevel: HealthLevel = .degraded
        public var failURL: FailURL = .derived
        /// Per ping; a ping never waits longer than `interval` either.
        @DurationNotation public var timeout: Duration = .seconds(10)
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey {
            case url, interval, method, maxLevel = "max_level", failURL = "fail_url", timeout
        }

        public init(url: TextOrSecret) { self.url = url }

        /// Where a failure is reported.
        public enum FailURL: Sendable, Equatable {
            /// `url` with `/fail` appended to its path (healthchecks.io's and Better Stack's convention); the
            /// key left out.
            case derived
            /// `fail_url: false`: a failure is reported by silence alone.
            case off
            case url(TextOrSecret)
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(url, forKey: .url)
            try container.encode(_interval, forKey: .interval)
            try container.encode(method, forKey: .method)
            try container.encode(maxLevel, forKey: .maxLevel)
            switch failURL {
            case .derived: break
            case .off: try container.encode(false, forKey: .failURL)
            case .url(let url): try container.encode(url, forKey: .failURL)
            }
            try container.encode(_timeout, forKey: .timeout)
        }
    }
}
