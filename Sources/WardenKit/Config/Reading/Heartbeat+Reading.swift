import Foundation

extension ConfigFile.Heartbeat {
    static func read(_ map: MappingReader) -> Self? {
        let url = map.required(CodingKeys.url, "an http:// or https:// URL, {file: PATH} or {env: VARIABLE}")?.urlOrSecret()
        let interval = map[CodingKeys.interval]?.duration(allowZero: false)
        let method = (map[CodingKeys.method]?.string()).map { $0.uppercased() }
        if let method, !methods.contains(method) { map[CodingKeys.method]?.fail("expected GET or POST") }
        let maxLevel = map[CodingKeys.maxLevel]?.level()
        var failURL: FailURL?
        if let value = map[CodingKeys.failURL] {
            if case .scalar(let scalar) = value.node, ["false", "False", "FALSE"].contains(scalar.string) {
                failURL = .off
            } else {
                failURL = value.urlOrSecret().map(FailURL.url)
            }
        }
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false)
        guard let url else { return nil }
        var heartbeat = Self(url: url)
        heartbeat.interval = interval ?? heartbeat.interval
        if let method, methods.contains(method) { heartbeat.method = method }
        heartbeat.maxLevel = maxLevel ?? heartbeat.maxLevel
        heartbeat.failURL = failURL ?? heartbeat.failURL
        heartbeat.timeout = timeout ?? heartbeat.timeout
        heartbeat.location = map.location
        return heartbeat
    }
}

extension YAMLValue {
    /// An http(s) URL as text, or a secret reference to one (checked when it is read, at start).
    func urlOrSecret() -> TextOrSecret? {
        if case .mapping = node { return secret().map(TextOrSecret.secret) }
        return httpURL().map { .text($0.absoluteString) }
    }
}
