/// Reading `checks:`. Which probe or log rule a check names, and whether it is of the right kind, is the
/// second pass's; here each value is read as written.
extension ConfigFile.Checks {
    static func read(_ map: MappingReader) -> Self {
        var checks = Self()
        checks.positions = map[CodingKeys.positions]?.readMapping(ConfigFile.Positions.read)
        checks.locks = map[CodingKeys.locks]?.readMapping(ConfigFile.Locks.read)
        checks.pnl = map[CodingKeys.pnl]?.readMapping(ConfigFile.PnL.read)
        var streams: Set<String> = []
        for item in map[CodingKeys.websocket]?.sequence() ?? [] {
            if let stream = item.readMapping({ ConfigFile.WebSocketStream.read($0, named: &streams) }) { checks.websocket.append(stream) }
        }
        checks.decisions = map[CodingKeys.decisions]?.readMapping(ConfigFile.ValueSource.read)
        for item in map[CodingKeys.connections]?.sequence() ?? [] {
            guard let endpoint = item.readMapping(ConfigFile.ConnectionEndpoint.read) else { continue }
            if checks.connections.contains(where: { $0.effectiveName == endpoint.effectiveName }) {
                item.fail("duplicate endpoint name \"\(endpoint.effectiveName)\"")
            } else {
                checks.connections.append(endpoint)
            }
        }
        var rateNames: Set<String> = []
        for item in map[CodingKeys.rates]?.sequence() ?? [] {
            guard let rate = item.readMapping(ConfigFile.CounterRate.read) else { continue }
            if rateNames.insert(rate.name).inserted { checks.rates.append(rate) } else { item.fail("duplicate rate name \"\(rate.name)\"") }
        }
        var stateNames: Set<String> = []
        for item in map[CodingKeys.states]?.sequence() ?? [] {
            guard let state = item.readMapping(ConfigFile.ExpectedState.read) else { continue }
            if stateNames.insert(state.name).inserted { checks.states.append(state) } else { item.fail("duplicate state name \"\(state.name)\"") }
        }
        return checks
    }
}

extension ConfigFile.CounterRate {
    /// `{name, log_rule: NAME | probe: NAME, pointer | query, degraded, unhealthy, critical}`.
    static func read(_ map: MappingReader) -> Self? {
        let name = map.required(CodingKeys.name)?.string()
        let count = ConfigFile.ValueSource.read(map)
        let threshold = ConfigFile.Health.readBounds(map, .counterRate)
        guard let name, let count else { return nil }
        var rate = Self(name: name, count: count, threshold: threshold)
        rate.location = map.location
        return rate
    }
}

extension ConfigFile.ExpectedState {
    /// `{name, probe: NAME, pointer | query, expect: TEXT or [TEXT], level}`.
    static func read(_ map: MappingReader) -> Self? {
        let name = map.required(CodingKeys.name)?.string()
        let value = ConfigFile.ValueSource.read(map)
        var expect: [String]?
        if let expectValue = map.required(CodingKeys.expect, "the text (or list of texts) the state should read") {
            if case .sequence = expectValue.node { expect = expectValue.stringList() } else { expect = expectValue.string().map { [$0] } }
            if expect?.isEmpty == true { expectValue.fail("expected at least one value") }
        }
        let level = map[CodingKeys.level]?.parsed(HealthLevel.init(name:)) { "unknown level \"\($0)\": expected degraded, unhealthy or critical" }
        if level == .healthy { map[CodingKeys.level]?.fail("a state that is not as expected must be worse than healthy") }
        guard let name, let value, let expect, !expect.isEmpty else { return nil }
        if case .logRule = value.reading {
            map.fail("a state is text the engine reports: {probe: NAME, pointer: /path} or {probe: NAME, query: SQL}, not a log rule")
            return nil
        }
        var state = Self(name: name, value: value, expect: expect)
        state.level = level.flatMap { $0 == .healthy ? nil : $0 } ?? state.level
        state.location = map.location
        return state
    }
}

extension ConfigFile.ValueSource {
    /// `{probe: NAME, pointer: /x}`, `{probe: NAME, query: SQL}` or `{log_rule: NAME}`.
    static func read(_ map: MappingReader) -> Self? {
        var source: Self
        if let ruleValue = map[CodingKeys.logRule] {
            guard let rule = ruleValue.string() else { return nil }
            source = Self(.logRule(rule))
        } else {
            guard let probe = map[CodingKeys.probe]?.string() else {
                map.fail("expected {probe: NAME, pointer: /path}, {probe: NAME, query: SQL} or {log_rule: NAME}")
                return nil
            }
            if let query = map[CodingKeys.query] {
                guard let sql = query.string() else { return nil }
                source = Self(.sql(probe: probe, query: sql))
            } else if let pointer = map[CodingKeys.pointer]?.pointer() {
                source = Self(.json(probe: probe, pointer: pointer))
            } else {
                if !map.has(CodingKeys.pointer) { map.fail("expected pointer: /path (for an http probe) or query: SQL (for a sqlite probe)") }
                return nil
            }
        }
        source.location = map.location
        return source
    }
}

extension ConfigFile.Positions {
    static func read(_ map: MappingReader) -> Self {
        let database = map.required(CodingKeys.database, "the name of a sqlite probe")?.string()
        var positions = Self(database: database ?? "")
        positions.location = map.location
        if database == nil { positions.location.markUnread(CodingKeys.database) }
        positions.monitored = map[CodingKeys.monitored]?.readMapping(ConfigFile.ValueSource.read)
        positions.openQuery = map[CodingKeys.openQuery]?.queryOrOff() ?? positions.openQuery
        positions.overdueQuery = map[CodingKeys.overdueQuery]?.queryOrOff() ?? positions.overdueQuery
        positions.overdueGrace = map[CodingKeys.overdueGrace]?.duration() ?? positions.overdueGrace
        positions.unprotectedQuery = map[CodingKeys.unprotectedQuery]?.queryOrOff() ?? positions.unprotectedQuery
        if positions.openQuery == nil && positions.overdueQuery == nil && positions.unprotectedQuery == nil {
            map.fail("open_query, overdue_query and unprotected_query are all off: leave the positions check out instead")
        }
        if positions.openQuery == nil, positions.monitored != nil {
            map[CodingKeys.monitored]?.fail("monitored positions are compared with open ones, and open_query is off")
        }
        return positions
    }
}

extension YAMLValue {
    /// A query, or `off` (nil) to leave that part of a check out.
    func queryOrOff() -> String?? {
        guard let text = string() else { return nil }
        return .some(text.lowercased() == "off" ? nil : text)
    }
}

extension ConfigFile.Locks {
    static func read(_ map: MappingReader) -> Self {
        var locks = Self()
        locks.location = map.location
        if map.mentions(CodingKeys.database) {
            locks.database = map.required(CodingKeys.database, "the name of a sqlite probe")?.string()
        }
        locks.busy = map[CodingKeys.busy]?.readMapping(ConfigFile.ValueSource.read)
        locks.recentlyExecuted = map[CodingKeys.recentlyExecuted]?.readMapping(ConfigFile.ValueSource.read)
        if locks.database == nil && locks.busy == nil && locks.recentlyExecuted == nil {
            map.fail("give database (lock rows and history), or busy / recently_executed (log counters or report fields)")
        }
        locks.query = map[CodingKeys.query]?.queryOrOff() ?? locks.query
        // Contention history lives in the database: without one the key means nothing and is not read.
        if locks.database != nil {
            locks.contentionQuery = map[CodingKeys.contentionQuery]?.string() ?? locks.contentionQuery
        }
        return locks
    }
}

extension ConfigFile.PnL {
    static func read(_ map: MappingReader) -> Self? {
        let probe = map.required(CodingKeys.probe)?.string()
        var pnl = Self(probe: probe ?? "")
        pnl.location = map.location
        pnl.positions = map[CodingKeys.positions]?.pointer() ?? pnl.positions
        pnl.symbol = map[CodingKeys.symbol]?.pointer() ?? pnl.symbol
        // Written as null, a pointer is none; left out, it is the default.
        if map.mentions(CodingKeys.side) { pnl.side = map[CodingKeys.side]?.pointer() }
        if let sourcesValue = map[CodingKeys.sources], case .mapping = sourcesValue.node {
            pnl.sources = []
            for (name, text) in sourcesValue.stringPairs() ?? [] {
                if let pointer = JSONPointer(text) {
                    pnl.sources.append(Source(name: name, pointer: pointer))
                } else {
                    sourcesValue.fail("source \(name): \"\(text)\" is not a JSON pointer (it starts with /)")
                }
            }
        }
        if pnl.sources.count < 2 { map.fail("at least two sources are needed to compare") }
        if map.mentions(CodingKeys.entryPrice) { pnl.entryPrice = map[CodingKeys.entryPrice]?.pointer() }
        if map.mentions(CodingKeys.quantity) { pnl.quantity = map[CodingKeys.quantity]?.pointer() }
        pnl.minScale = map[CodingKeys.minScale]?.double(in: 0...1e12) ?? pnl.minScale
        return probe == nil ? nil : pnl
    }
}

extension ConfigFile.WebSocketStream {
    /// `names`: the streams of the entries before; this one's is added, even when it lacks its last_message.
    static func read(_ map: MappingReader, named names: inout Set<String>) -> Self {
        let stream = map[CodingKeys.stream]?.string() ?? defaultStream
        if !names.insert(stream).inserted { map.fail("duplicate stream name \"\(stream)\"") }
        let lastMessage = map.required(CodingKeys.lastMessage)?.readMapping(ConfigFile.ValueSource.read)
        let reconnects = map[CodingKeys.reconnects]?.readMapping(ConfigFile.ValueSource.read)
        var read = Self(stream: stream, lastMessage: lastMessage ?? ConfigFile.ValueSource(.logRule("")),
                        reconnects: reconnects)
        read.location = map.location
        if lastMessage == nil { read.location.markUnread(CodingKeys.lastMessage) }
        return read
    }
}

extension ConfigFile.ConnectionEndpoint {
    /// The name metrics and findings use.
    var effectiveName: String { name ?? endpoint }

    static func read(_ map: MappingReader) -> Self? {
        let endpointValue = map.required(CodingKeys.endpoint)
        var endpoint = endpointValue?.string()
        if let text = endpoint, EndpointMatcher(text) == nil {
            endpointValue?.fail("expected ADDRESS:PORT or CIDR:PORT, such as 10.0.0.5:443, 10.0.0.0/8:443 or [::1]:443")
            endpoint = nil
        }
        let name = map[CodingKeys.name]?.string()
        let limit = map[CodingKeys.limit]?.int(in: 1...1_000_000)
        guard let endpoint else { return nil }
        return Self(name: name, endpoint: endpoint, limit: limit)
    }
}
