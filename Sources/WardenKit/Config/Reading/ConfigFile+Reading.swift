import Foundation

// The loader's first pass: YAML into the model. Each value is checked where it is read and every problem is
// reported at its line; a value that does not fit is left at its default, so that reading goes on and later
// problems are found too. An entry without its required keys is left out, or, where the rest of it still
// names something the second pass checks, kept with placeholders (see `ConfigLocation.unread`). Nothing
// here looks outside the document: what refers to what, and what exists on this host, is the second pass's.

extension ConfigFile {
    static func read(_ top: MappingReader) -> ConfigFile {
        var file = ConfigFile(engines: [])
        file.location = top.location
        file.instance = top[CodingKeys.instance]?.parsed({ text in
            text.count <= 128 && !text.unicodeScalars.contains { $0.properties.generalCategory == .control } ? text : nil
        }, refusal: { _ in "at most 128 characters, without control characters" })
        if let value = top[CodingKeys.listen], let listen = value.listenAddress() { file.listen = listen }
        if let directory = top[CodingKeys.stateDirectory]?.string() { file.stateDirectory = directory }
        file.adminToken = top[CodingKeys.adminToken]?.secret()
        if let web = top[CodingKeys.web]?.readMapping(Web.read) { file.web = web }
        file.heartbeat = top[CodingKeys.heartbeat]?.readMapping(Heartbeat.read)
        top.report(file.validate())
        if let remediation = top[CodingKeys.remediation]?.readMapping(WardenRemediation.read) { file.remediation = remediation }
        if let alerts = top[CodingKeys.alerts]?.readMapping(Alerts.read) { file.alerts = alerts }
        if let list = top.required(CodingKeys.engines)?.sequence() {
            var firstLines: [String: Int] = [:]
            for item in list {
                guard let engine = item.readMapping(Engine.read) else { continue }
                if engine.location.couldRead(Engine.CodingKeys.name) {
                    if let firstLine = firstLines[engine.name] {
                        item.fail("duplicate engine name \"\(engine.name)\" (first defined on line \(firstLine))")
                    } else {
                        firstLines[engine.name] = item.line ?? 0
                    }
                }
                // A duplicate, or an engine without a name or command, stays in the model so that the second
                // pass still checks what it refers to.
                file.engines.append(engine)
            }
        }
        return file
    }
}

extension ConfigFile.WardenRemediation {
    static func read(_ map: MappingReader) -> Self {
        var settings = Self()
        settings.dryRun = map[CodingKeys.dryRun]?.bool() ?? settings.dryRun
        if let budget = map[CodingKeys.budget]?.readMapping(ConfigFile.Budget.read) { settings.budget = budget }
        return settings
    }
}

extension ConfigFile.Budget {
    static func read(_ map: MappingReader) -> Self? {
        let limit = map.required(CodingKeys.max)?.int(in: 0...100_000)
        let window = map[CodingKeys.window]?.duration(allowZero: false)
        guard let limit else { return nil }
        var budget = Self(max: limit)
        if let window { budget.window = window }
        return budget
    }
}

extension YAMLValue {
    /// The string parsed by `parse`; a string it refuses is reported with `refusal(text)`.
    func parsed<Value>(_ parse: (String) -> Value?, refusal: (String) -> String) -> Value? {
        guard let text = string() else { return nil }
        guard let value = parse(text) else {
            fail(refusal(text))
            return nil
        }
        return value
    }

    /// `host:port`, `[v6]:port` or `:port`.
    func listenAddress() -> ListenAddress? {
        parsed(ListenAddress.init(parsing:)) { "invalid address \"\($0)\": expected host:port, such as 127.0.0.1:9780" }
    }

    /// `{file: PATH}` or `{env: VARIABLE}`; never the secret itself. The path stays as written.
    func secret() -> SecretSource? {
        if case .scalar = node {
            fail("inline secrets are not accepted; use {file: PATH} or {env: VARIABLE}")
            return nil
        }
        guard let map = mapping() else { return nil }
        defer { map.finish() }
        let file = map["file"]?.string()
        let env = map["env"]?.string()
        switch (file, env) {
        case (let file?, nil): return .file(file)
        case (nil, let env?): return .environment(env)
        case (.some, .some): map.fail("give either file or env, not both"); return nil
        case (nil, nil): map.fail("expected file: PATH or env: VARIABLE"); return nil
        }
    }

    /// An http:// or https:// URL with a host.
    /// Credentials written into it (`http://user:secret@host/`) are refused, never quoted: an HTTP client does not
    /// send them, and a URL is shown in logs and the status where a secret must not be.
    func httpURL() -> URL? {
        guard let text = string() else { return nil }
        guard let url = URL(string: text), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            fail("expected an http:// or https:// URL")
            return nil
        }
        guard url.user == nil, url.password == nil else {
            fail("credentials in a URL are not accepted (they would not be sent, and a URL is shown in logs and the status): "
                 + "give them as basic_auth: {username, password: {file: PATH}} or bearer_token: {file: PATH} on an http probe or "
                 + "action, or as a header from a secret, such as headers: {Authorization: {file: PATH}}")
            return nil
        }
        return url
    }

    /// A level by name, in any case: a policy's trigger, a channel's minimum.
    func level() -> HealthLevel? {
        parsed(HealthLevel.init(name:)) { _ in "expected healthy, degraded, unhealthy or critical" }
    }

    /// A value of a closed set of names, such as a restart mode.
    func oneOf<Value: RawRepresentable & CaseIterable>(_: Value.Type, _ refusal: (String) -> String) -> Value?
    where Value.RawValue == String {
        parsed(Value.init(rawValue:), refusal: refusal)
    }

    /// A JSON pointer: empty, or starting with `/`.
    func pointer() -> JSONPointer? {
        guard let text = string(nonEmpty: false) else { return nil }
        guard let pointer = JSONPointer(text) else {
            fail("\"\(text)\" is not a JSON pointer (it starts with /)")
            return nil
        }
        return pointer
    }

    /// A ratio as a number (0.85) or a percentage (85%).
    func ratio() -> Double? {
        if case .scalar(let scalar) = node, scalar.string.hasSuffix("%"),
           let percent = Double(scalar.string.dropLast().trimmingCharacters(in: .whitespaces)), percent.isFinite {
            return percent / 100
        }
        return double(in: -1e12...1e12)
    }

    /// Events per minute: a number, or `N/s`, `N/min`, `N/h` (`5/min`, `0.5/s`).
    func ratePerMinute() -> Double? {
        guard case .scalar(let scalar) = node, let slash = scalar.string.firstIndex(of: "/") else {
            return double(in: 0...1e12)
        }
        let perUnit: [String: Double] = ["s": 60, "sec": 60, "min": 1, "m": 1, "h": 1.0 / 60, "hour": 1.0 / 60]
        let number = Double(scalar.string[..<slash].trimmingCharacters(in: .whitespaces))
        let unit = scalar.string[scalar.string.index(after: slash)...].trimmingCharacters(in: .whitespaces).lowercased()
        guard let number, number.isFinite, number >= 0, let factor = perUnit[unit] else {
            fail("expected a rate such as 5/min, 0.5/s or 30/h")
            return nil
        }
        return number * factor
    }

    /// argv as a list: a shell string is refused, since nothing would split it the way a shell does.
    func argv(refusingShellStrings message: String) -> [String]? {
        if case .scalar = node {
            fail(message)
            return nil
        }
        return stringList()
    }
}

extension MappingReader {
    /// `basic_auth: {username, password: {file|env}}` or `bearer_token: {file|env}` beside a request's `headers`;
    /// at most one of them, and not together with an `Authorization` header, which they would replace.
    func credentials(headers: [String: TextOrSecret]?) -> Credentials? {
        typealias Keys = ConfigFile.CredentialsKeys
        var credentials: Credentials?
        if let basic = self[Keys.basicAuth]?.readMapping({ map -> Credentials? in
            let username = map.required(Keys.username)?.string()
            let password = map.required(Keys.password, "{file: PATH} or {env: VARIABLE}")?.secret()
            guard let username, let password else { return nil }
            if username.contains(":") { map[Keys.username]?.fail("a basic-auth username cannot contain \":\"") }
            return .basic(username: username, password: password)
        }) {
            credentials = basic
        }
        if let token = self[Keys.bearerToken]?.secret() {
            if credentials != nil { fail("give either basic_auth or bearer_token, not both") }
            credentials = .bearer(token)
        }
        if credentials != nil, headers?.keys.contains(where: { $0.lowercased() == "authorization" }) == true {
            fail("an Authorization header and \(has(Keys.basicAuth) ? "basic_auth" : "bearer_token") both set the same header: keep one")
        }
        return credentials
    }
}
