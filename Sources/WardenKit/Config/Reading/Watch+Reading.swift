/// Reading `timestamps_zone`, `report`, `probes`, `log_rules` and `checks` of an engine.
extension ConfigFile.Engine {
    mutating func readWatch(_ map: MappingReader) {
        if let zone = map[CodingKeys.timestampsZone] {
            if let text = zone.string(), TimestampParser.parseOffset(text) != nil {
                timestampsZone = text
            } else {
                zone.fail("expected a UTC offset such as +00:00, -05:00 or Z")
            }
        }
        report = map[CodingKeys.report]?.readMapping(ConfigFile.Report.read)
        var probeNames: Set<String> = report == nil ? [] : [PushedReport.probeName]
        for item in map[CodingKeys.probes]?.sequence() ?? [] {
            guard let probe = item.readMapping(ConfigFile.Probe.read) else { continue }
            guard probeNames.insert(probe.name).inserted else {
                let reserved = probe.name == PushedReport.probeName ? " (the name of pushed reports)" : ""
                item.fail("duplicate probe name \"\(probe.name)\"\(reserved)")
                continue
            }
            probes.append(probe)
        }
        var ruleNames: Set<String> = []
        for item in map[CodingKeys.logRules]?.sequence() ?? [] {
            guard let rule = item.readMapping(ConfigFile.LogRule.read) else { continue }
            guard ruleNames.insert(rule.name).inserted else {
                item.fail("duplicate log rule name \"\(rule.name)\"")
                continue
            }
            logRules.append(rule)
        }
        if let checks = map[CodingKeys.checks]?.readMapping(ConfigFile.Checks.read) { self.checks = checks }
    }
}

extension ConfigFile.Report {
    static func read(_ map: MappingReader) -> Self? {
        var report = Self()
        report.maxBody = map[CodingKeys.maxBody]?.byteSize() ?? report.maxBody
        report.maxAge = map[CodingKeys.maxAge]?.duration(allowZero: false) ?? report.maxAge
        return report
    }
}

extension ConfigFile.Probe {
    static func read(_ map: MappingReader) -> Self? {
        let name = map.required(CodingKeys.name)?.string()
        let interval = map[CodingKeys.interval]?.duration(allowZero: false)
        let timeout = map[CodingKeys.timeout]?.duration(allowZero: false) ?? defaultTimeout
        var kinds: [Kind] = []
        if let http = map[CodingKeys.http]?.readMapping(HTTP.read) { kinds.append(.http(http)) }
        if let sqlite = map[CodingKeys.sqlite]?.readMapping({ SQLite.read($0, timeout: timeout) }) { kinds.append(.sqlite(sqlite)) }
        if let file = map[CodingKeys.heartbeatFile]?.readMapping(HeartbeatFile.read) { kinds.append(.heartbeatFile(file)) }
        guard kindKeys.filter(map.has).count == 1 else {
            map.fail("a probe needs exactly one of http, sqlite or heartbeat_file")
            return nil
        }
        guard let name, let kind = kinds.first else { return nil }
        var probe = Self(name: name, kind: kind)
        probe.interval = interval ?? probe.interval
        probe.timeout = timeout
        return probe
    }
}

extension ConfigFile.Probe.HTTP {
    static func read(_ map: MappingReader) -> Self? {
        let url = map.required(CodingKeys.url)?.httpURL()
        let maxBody = map[CodingKeys.maxBody]?.byteSize()
        let json = map[CodingKeys.json]?.bool()
        let headers = map[CodingKeys.headers]?.headers()
        let credentials = map.credentials(headers: headers)
        guard let url else { return nil }
        var http = Self(url: url)
        http.maxBody = maxBody ?? http.maxBody
        http.json = json ?? http.json
        http.headers = headers ?? http.headers
        http.credentials = credentials
        return http
    }
}

extension ConfigFile.Probe.SQLite {
    static func read(_ map: MappingReader, timeout: Duration) -> Self? {
        let path = map.required(CodingKeys.path)?.string()
        let allowWrites = map[CodingKeys.allowWrites]?.bool()
        let busyTimeout = map[CodingKeys.busyTimeout]?.duration()
        guard let path else { return nil }
        var sqlite = Self(path: path)
        sqlite.allowWrites = allowWrites ?? sqlite.allowWrites
        sqlite.busyTimeout = busyTimeout ?? sqlite.busyTimeout
        map.report(sqlite.validate(timeout: timeout))
        return sqlite
    }
}

extension ConfigFile.Probe.HeartbeatFile {
    static func read(_ map: MappingReader) -> Self? {
        return map.required(CodingKeys.path)?.string().map(Self.init(path:))
    }
}

extension ConfigFile.LogRule {
    static func read(_ map: MappingReader) -> Self? {
        let name = map.required(CodingKeys.name)?.string()
        let patternValue = map.required(CodingKeys.match)
        let pattern = patternValue?.string()
        if let pattern, let patternValue {
            do { _ = try LinePattern(pattern) } catch { patternValue.fail(error.description) }
        }
        let kind = map[CodingKeys.kind]?.oneOf(LogRuleKind.self) { _ in "expected heartbeat or counter" }
        guard let name, let pattern else { return nil }
        var rule = Self(name: name, match: pattern)
        rule.kind = kind ?? rule.kind
        return rule
    }
}
