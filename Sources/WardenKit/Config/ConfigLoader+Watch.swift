import Foundation

/// Reading `probes`, `log_rules`, `checks` and `timestamps_zone` of an engine.
extension ConfigLoader {
    static let defaultProbeInterval: Duration = .seconds(15)
    static let defaultProbeTimeout: Duration = .seconds(5)
    static let defaultMaxBody: Int64 = 1_048_576

    func watch(_ map: MappingReader, base: String, workingDirectory: String) -> WatchConfig {
        var watch = WatchConfig()
        if let zone = map["timestamps_zone"] {
            if let text = zone.string(), let offset = TimestampParser.parseOffset(text) {
                watch.timestampOffset = offset
            } else {
                zone.fail("expected a UTC offset such as +00:00, -05:00 or Z")
            }
        }
        var probeKinds: [String: ProbeConfig.Kind] = [:]
        if let report = map["report"]?.mapping() {
            defer { report.finish() }
            let maxBody = report["max_body"]?.byteSize() ?? Self.defaultMaxBody
            let maxAge = report["max_age"]?.duration(allowZero: false) ?? .seconds(60)
            let kind = ProbeConfig.Kind.pushed(maxBodyBytes: Int(maxBody), maxAge: maxAge)
            probeKinds[PushedReport.probeName] = kind
            watch.probes.append(ProbeConfig(name: PushedReport.probeName, interval: maxAge, timeout: maxAge, kind: kind))
        }
        for item in map["probes"]?.sequence() ?? [] {
            guard let probe = probe(item, workingDirectory: workingDirectory) else { continue }
            if probeKinds[probe.name] != nil {
                let reserved = probe.name == PushedReport.probeName ? " (the name of pushed reports)" : ""
                item.fail("duplicate probe name \"\(probe.name)\"\(reserved)")
                continue
            }
            probeKinds[probe.name] = probe.kind
            watch.probes.append(probe)
        }
        var ruleKinds: [String: LogRuleKind] = [:]
        for item in map["log_rules"]?.sequence() ?? [] {
            guard let rule = logRule(item) else { continue }
            if ruleKinds[rule.name] != nil {
                item.fail("duplicate log rule name \"\(rule.name)\"")
                continue
            }
            ruleKinds[rule.name] = rule.kind
            watch.logRules.append(rule)
        }
        if let checks = map["checks"]?.mapping() {
            let references = References(probes: probeKinds, rules: ruleKinds)
            watch.checks = self.checks(checks, references: references, timestamps: watch.timestamps)
            watch.connectionEndpoints = connectionEndpoints(checks["connections"])
            if !watch.connectionEndpoints.isEmpty {
                watch.checks.append(ConnectionsCheck(endpoints: watch.connectionEndpoints))
            }
            checks.finish()
        }
        return watch
    }

    private func probe(_ value: YAMLValue, workingDirectory: String) -> ProbeConfig? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let name = map["name"]?.string()
        if !map.has("name") { map.fail("missing required key \"name\"") }
        let interval = map["interval"]?.duration(allowZero: false) ?? Self.defaultProbeInterval
        let timeout = map["timeout"]?.duration(allowZero: false) ?? Self.defaultProbeTimeout
        var kinds: [ProbeConfig.Kind] = []
        var allowWrites = false
        if let http = map["http"]?.mapping() {
            defer { http.finish() }
            let urlValue = http["url"]
            let url = urlValue.flatMap(httpURL)
            if urlValue == nil { http.fail("missing required key \"url\"") }
            let maxBody = http["max_body"]?.byteSize() ?? Self.defaultMaxBody
            let json = http["json"]?.bool() ?? true
            if let url { kinds.append(.http(url: url, maxBodyBytes: Int(maxBody), expectJSON: json)) }
        }
        if let sqlite = map["sqlite"]?.mapping() {
            defer { sqlite.finish() }
            let path = sqlite["path"]?.string().map { absolute($0, relativeTo: workingDirectory) }
            if !sqlite.has("path") { sqlite.fail("missing required key \"path\"") }
            allowWrites = sqlite["allow_writes"]?.bool() ?? false
            var busy = sqlite["busy_timeout"]?.duration() ?? .seconds(1)
            if busy > timeout {
                sqlite["busy_timeout"]?.fail("must not exceed the probe's timeout (\(Units.formatDuration(timeout)))")
                busy = timeout
            }
            if let path { kinds.append(.sqlite(path: path, busyTimeout: busy)) }
        }
        if let file = map["heartbeat_file"]?.mapping() {
            defer { file.finish() }
            let path = file["path"]?.string().map { absolute($0, relativeTo: workingDirectory) }
            if !file.has("path") { file.fail("missing required key \"path\"") }
            if let path { kinds.append(.heartbeatFile(path: path)) }
        }
        let declared = ["http", "sqlite", "heartbeat_file"].filter(map.has)
        if declared.count != 1 {
            map.fail("a probe needs exactly one of http, sqlite or heartbeat_file")
            return nil
        }
        guard let name, let kind = kinds.first else { return nil }
        var probe = ProbeConfig(name: name, interval: interval, timeout: timeout, kind: kind)
        probe.allowWrites = allowWrites
        return probe
    }

    private func logRule(_ value: YAMLValue) -> LogRule? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        let name = map["name"]?.string()
        if !map.has("name") { map.fail("missing required key \"name\"") }
        let patternValue = map["match"]
        let pattern = patternValue?.string()
        if patternValue == nil { map.fail("missing required key \"match\"") }
        if let pattern, let patternValue {
            do { _ = try LinePattern(pattern) } catch { patternValue.fail(error.description) }
        }
        let kind = map["kind"].flatMap { value -> LogRuleKind? in
            guard let text = value.string() else { return nil }
            guard let kind = LogRuleKind(rawValue: text) else {
                value.fail("expected heartbeat or counter")
                return nil
            }
            return kind
        } ?? .counter
        guard let name, let pattern else { return nil }
        return LogRule(name: name, pattern: pattern, kind: kind)
    }

    /// Names a check may refer to, with their kinds.
    struct References {
        var probes: [String: ProbeConfig.Kind]
        var rules: [String: LogRuleKind]

        init(probes: [String: ProbeConfig.Kind], rules: [String: LogRuleKind]) {
            self.probes = probes
            self.rules = rules
        }

        init(_ watch: WatchConfig) {
            probes = Dictionary(watch.probes.map { ($0.name, $0.kind) }) { first, _ in first }
            rules = Dictionary(watch.logRules.map { ($0.name, $0.kind) }) { first, _ in first }
        }

        func require(_ name: String, _ kind: String, at value: YAMLValue) -> Bool {
            switch (kind, probes[name]) {
            case ("sqlite", .sqlite?), ("http", .http(_, _, true)?), ("http", .pushed?): return true
            case ("http", .http?):
                value.fail("probe \"\(name)\" has json: false; this check reads its JSON body")
            case (_, nil):
                let known = probes.keys.sorted().joined(separator: ", ")
                value.fail("no probe named \"\(name)\" (probes: \(known.isEmpty ? "none" : known))")
            default:
                value.fail("probe \"\(name)\" is not a \(kind) probe")
            }
            return false
        }
    }

    private func checks(_ map: MappingReader, references: References, timestamps: TimestampParser) -> [any Check] {
        var checks: [any Check] = []
        if let positions = map["positions"]?.mapping() {
            defer { positions.finish() }
            let database = databaseName(positions, references)
            let monitored = positions["monitored"].flatMap { valueSource($0, references, expecting: .count) }
            if let database {
                checks.append(PositionsCheck(
                    database: database,
                    openQuery: positions["open_query"]?.string() ?? PositionsCheck.defaultOpenQuery,
                    monitored: monitored,
                    overdueQuery: positions["overdue_query"]?.string() ?? PositionsCheck.defaultOverdueQuery,
                    overdueGrace: positions["overdue_grace"]?.duration() ?? .seconds(60),
                    unprotectedQuery: positions["unprotected_query"]?.string() ?? PositionsCheck.defaultUnprotectedQuery))
            }
        }
        if let locks = map["locks"]?.mapping() {
            defer { locks.finish() }
            let database = locks.mentions("database") ? databaseName(locks, references) : nil
            var sources: [String: ValueSource] = [:]
            for result in ["busy", "recently_executed"] {
                if let source = locks[result].flatMap({ valueSource($0, references, expecting: .count) }) { sources[result] = source }
            }
            if database == nil && sources.isEmpty {
                locks.fail("give database (lock rows and history), or busy / recently_executed (log counters or report fields)")
            }
            checks.append(LocksCheck(database: database, query: locks["query"]?.string() ?? LocksCheck.defaultQuery,
                                     contentionQuery: database == nil ? nil
                                         : (locks["contention_query"]?.string() ?? LocksCheck.defaultContentionQuery),
                                     contentionSources: sources))
        }
        if let pnl = map["pnl"]?.mapping() {
            defer { pnl.finish() }
            let probeValue = pnl["probe"]
            let probe = probeValue?.string()
            if probeValue == nil { pnl.fail("missing required key \"probe\"") }
            let positions = pointer(pnl["positions"]) ?? JSONPointer("/positions")!
            let symbol = pointer(pnl["symbol"]) ?? JSONPointer("/symbol")!
            let side = pnl.mentions("side") ? pointer(pnl["side"]) : JSONPointer("/side")
            var sources: [(String, JSONPointer)] = []
            if let map = pnl["sources"], case .mapping = map.node {
                for (name, text) in (map.stringMap() ?? [:]).sorted(by: { $0.key < $1.key }) {
                    if let pointer = JSONPointer(text) { sources.append((name, pointer)) } else {
                        map.fail("source \(name): \"\(text)\" is not a JSON pointer (it starts with /)")
                    }
                }
            } else {
                sources = [("mark", JSONPointer("/pnl/mark")!), ("last", JSONPointer("/pnl/last")!),
                           ("websocket", JSONPointer("/pnl/websocket")!)]
            }
            if sources.count < 2 { pnl.fail("at least two sources are needed to compare") }
            let entryPrice = pnl.mentions("entry_price") ? pointer(pnl["entry_price"]) : JSONPointer("/entry_price")
            let quantity = pnl.mentions("quantity") ? pointer(pnl["quantity"]) : JSONPointer("/quantity")
            let minimumScale = pnl["min_scale"]?.double(in: 0...1e12) ?? 1
            if let probe, let probeValue, references.require(probe, "http", at: probeValue) {
                checks.append(PnLCheck(probe: probe, positions: positions, symbol: symbol, side: side,
                                       sources: sources.map { (name: $0.0, pointer: $0.1) }, entryPrice: entryPrice,
                                       quantity: quantity, minimumScale: minimumScale))
            }
        }
        var streams: Set<String> = []
        for item in map["websocket"]?.sequence() ?? [] {
            guard let stream = item.mapping() else { continue }
            defer { stream.finish() }
            let name = stream["stream"]?.string() ?? "default"
            if !streams.insert(name).inserted { item.fail("duplicate stream name \"\(name)\"") }
            let last = stream["last_message"].flatMap { valueSource($0, references, expecting: .time) }
            if !stream.has("last_message") { stream.fail("missing required key \"last_message\"") }
            let reconnects = stream["reconnects"].flatMap { valueSource($0, references, expecting: .count) }
            if let last {
                checks.append(WebSocketCheck(stream: name, lastMessage: last, reconnects: reconnects, timestamps: timestamps))
            }
        }
        if let decisions = map["decisions"], let source = valueSource(decisions, references, expecting: .time) {
            checks.append(DecisionsCheck(source: source, timestamps: timestamps))
        }
        return checks
    }

    private func connectionEndpoints(_ value: YAMLValue?) -> [ConnectionEndpoint] {
        var endpoints: [ConnectionEndpoint] = []
        for item in value?.sequence() ?? [] {
            guard let map = item.mapping() else { continue }
            defer { map.finish() }
            let endpointValue = map["endpoint"]
            let matcher = endpointValue?.string().flatMap { text -> EndpointMatcher? in
                guard let matcher = EndpointMatcher(text) else {
                    endpointValue?.fail("expected ADDRESS:PORT or CIDR:PORT, such as 10.0.0.5:443, 10.0.0.0/8:443 or [::1]:443")
                    return nil
                }
                return matcher
            }
            if endpointValue == nil { map.fail("missing required key \"endpoint\"") }
            let name = map["name"]?.string() ?? endpointValue?.string()
            let limit = map["limit"]?.int(in: 1...1_000_000)
            if let name, let matcher {
                if endpoints.contains(where: { $0.name == name }) {
                    item.fail("duplicate endpoint name \"\(name)\"")
                } else {
                    endpoints.append(ConnectionEndpoint(name: name, matcher: matcher, limit: limit))
                }
            }
        }
        return endpoints
    }

    private func databaseName(_ map: MappingReader, _ references: References) -> String? {
        guard let value = map["database"] else {
            map.fail("missing required key \"database\" (the name of a sqlite probe)")
            return nil
        }
        guard let name = value.string(), references.require(name, "sqlite", at: value) else { return nil }
        return name
    }

    private func pointer(_ value: YAMLValue?) -> JSONPointer? {
        guard let value, let text = value.string(nonEmpty: false) else { return nil }
        guard let pointer = JSONPointer(text) else {
            value.fail("\"\(text)\" is not a JSON pointer (it starts with /)")
            return nil
        }
        return pointer
    }

    enum Expected { case time, count }

    /// `{probe: NAME, pointer: /x}`, `{probe: NAME, query: SQL}` or `{log_rule: NAME}`. A log rule must be of
    /// the kind the value needs: a heartbeat gives a time, a counter a count.
    func valueSource(_ value: YAMLValue, _ references: References, expecting expected: Expected) -> ValueSource? {
        guard let map = value.mapping() else { return nil }
        defer { map.finish() }
        if let ruleValue = map["log_rule"] {
            guard let rule = ruleValue.string() else { return nil }
            switch (references.rules[rule], expected) {
            case (.heartbeat?, .time): return .logHeartbeat(rule: rule)
            case (.counter?, .count): return .logCounter(rule: rule)
            case (.heartbeat?, .count):
                ruleValue.fail("log rule \"\(rule)\" is a heartbeat (a time); this needs a counter")
                return nil
            case (.counter?, .time):
                ruleValue.fail("log rule \"\(rule)\" is a counter; this needs a heartbeat (the time of the last match)")
                return nil
            case (nil, _):
                ruleValue.fail("no log rule named \"\(rule)\"")
                return nil
            }
        }
        guard let probeValue = map["probe"], let probe = probeValue.string() else {
            map.fail("expected {probe: NAME, pointer: /path}, {probe: NAME, query: SQL} or {log_rule: NAME}")
            return nil
        }
        if let query = map["query"] {
            guard let sql = query.string(), references.require(probe, "sqlite", at: probeValue) else { return nil }
            return .sql(probe: probe, query: sql)
        }
        guard let pointer = pointer(map["pointer"]), references.require(probe, "http", at: probeValue) else {
            if !map.has("pointer") { map.fail("expected pointer: /path (for an http probe) or query: SQL (for a sqlite probe)") }
            return nil
        }
        return .json(probe: probe, pointer: pointer)
    }
}
