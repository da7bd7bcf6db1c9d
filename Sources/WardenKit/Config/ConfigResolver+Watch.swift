/// Converting an engine's probes, log rules and checks, and checking what the checks name.
extension ConfigResolver {
    func resolveWatch(of engine: ConfigFile.Engine, workingDirectory: String) -> WatchConfig {
        var watch = WatchConfig()
        watch.timestampOffset = TimestampParser.parseOffset(engine.timestampsZone) ?? 0
        if let report = engine.report {
            watch.probes.append(ProbeConfig(name: PushedReport.probeName, interval: report.maxAge, timeout: report.maxAge,
                                            kind: .pushed(maxBodyBytes: Int(report.maxBody), maxAge: report.maxAge)))
        }
        watch.probes += engine.probes.map { probeConfig($0, workingDirectory: workingDirectory, of: engine) }
        watch.logRules = engine.logRules.map { LogRule(name: $0.name, pattern: $0.match, kind: $0.kind) }
        let references = References(watch)
        watch.checks = checks(engine.checks, references, timestamps: watch.timestamps)
        watch.connectionEndpoints = engine.checks.connections.compactMap { endpoint in
            EndpointMatcher(endpoint.endpoint).map { ConnectionEndpoint(name: endpoint.effectiveName, matcher: $0, limit: endpoint.limit) }
        }
        if !watch.connectionEndpoints.isEmpty {
            watch.checks.append(ConnectionsCheck(endpoints: watch.connectionEndpoints))
        }
        return watch
    }

    /// `engine`: the probe's, whose `probes` key secret warnings name.
    private func probeConfig(_ probe: ConfigFile.Probe, workingDirectory: String, of engine: ConfigFile.Engine) -> ProbeConfig {
        let kind: ProbeConfig.Kind
        var allowWrites = false
        switch probe.kind {
        case .http(let http):
            kind = .http(url: http.url, maxBodyBytes: Int(http.maxBody), expectJSON: http.json,
                         headers: RequestHeaders(headers: http.headers, credentials: http.credentials).mapSecrets {
                             resolve($0, at: engine.location, key: ConfigFile.Engine.CodingKeys.probes.stringValue)
                         })
        case .sqlite(let sqlite):
            // A busy timeout longer than the run's own is cut to it (the first pass refuses one written so).
            kind = .sqlite(path: Self.absolute(sqlite.path, relativeTo: workingDirectory),
                           busyTimeout: min(sqlite.busyTimeout, probe.timeout))
            allowWrites = sqlite.allowWrites
        case .heartbeatFile(let file):
            kind = .heartbeatFile(path: Self.absolute(file.path, relativeTo: workingDirectory))
        }
        var config = ProbeConfig(name: probe.name, interval: probe.interval, timeout: probe.timeout, kind: kind)
        config.allowWrites = allowWrites
        return config
    }

    /// The probes and log rules of one engine, which its checks and actions may name.
    struct References {
        enum ProbeKind: String { case sqlite, http }
        enum Expected { case time, count, text }

        var probes: [String: ProbeConfig.Kind]
        var rules: [String: LogRuleKind]

        init(_ watch: WatchConfig) {
            probes = Dictionary(watch.probes.map { ($0.name, $0.kind) }) { first, _ in first }
            rules = Dictionary(watch.logRules.map { ($0.name, $0.kind) }) { first, _ in first }
        }

        /// Whether `name` is a probe of `kind`; says why not at `key` of `location`. An HTTP probe must
        /// expect JSON, and a pushed report counts as one.
        func require(_ name: String, _ kind: ProbeKind, at location: ConfigLocation, key: String, _ issues: IssueCollector) -> Bool {
            switch (kind, probes[name]) {
            case (.sqlite, .sqlite?), (.http, .http(_, _, true, _)?), (.http, .pushed?): return true
            case (.http, .http?):
                issues.report("probe \"\(name)\" has json: false; this check reads its JSON body", at: location, key: key)
            case (_, nil):
                let known = probes.keys.sorted().joined(separator: ", ")
                issues.report("no probe named \"\(name)\" (probes: \(known.isEmpty ? "none" : known))", at: location, key: key)
            default:
                issues.report("probe \"\(name)\" is not a \(kind.rawValue) probe", at: location, key: key)
            }
            return false
        }
    }

    private func checks(_ written: ConfigFile.Checks, _ references: References, timestamps: TimestampParser) -> [any Check] {
        var checks: [any Check] = []
        if let positions = written.positions {
            let database = positions.location.couldRead(ConfigFile.Positions.CodingKeys.database)
                ? sqliteDatabase(positions.database, at: positions.location, references) : nil
            let monitored = positions.monitored.flatMap { valueSource($0, references, expecting: .count) }
            if database != nil {
                checks.append(PositionsCheck(database: positions.database, openQuery: positions.openQuery, monitored: monitored,
                                             overdueQuery: positions.overdueQuery, overdueGrace: positions.overdueGrace,
                                             unprotectedQuery: positions.unprotectedQuery))
            }
        }
        if let locks = written.locks {
            let database = locks.database.flatMap { sqliteDatabase($0, at: locks.location, references) }
            typealias Keys = ConfigFile.Locks.CodingKeys
            var sources: [String: ValueSource] = [:]
            for (key, count) in [(Keys.busy, locks.busy), (Keys.recentlyExecuted, locks.recentlyExecuted)] {
                if let count, let source = valueSource(count, references, expecting: .count) { sources[key.stringValue] = source }
            }
            checks.append(LocksCheck(database: database, query: locks.query,
                                     contentionQuery: database == nil ? nil : locks.contentionQuery, contentionSources: sources))
        }
        if let pnl = written.pnl,
           references.require(pnl.probe, .http, at: pnl.location, key: ConfigFile.PnL.CodingKeys.probe.stringValue, issues) {
            checks.append(PnLCheck(probe: pnl.probe, positions: pnl.positions, symbol: pnl.symbol, side: pnl.side,
                                   sources: pnl.sources.map { (name: $0.name, pointer: $0.pointer) }, entryPrice: pnl.entryPrice,
                                   quantity: pnl.quantity, minimumScale: pnl.minScale))
        }
        for stream in written.websocket {
            let last = stream.location.couldRead(ConfigFile.WebSocketStream.CodingKeys.lastMessage)
                ? valueSource(stream.lastMessage, references, expecting: .time) : nil
            let reconnects = stream.reconnects.flatMap { valueSource($0, references, expecting: .count) }
            if let last {
                checks.append(WebSocketCheck(stream: stream.stream, lastMessage: last, reconnects: reconnects, timestamps: timestamps))
            }
        }
        if let decisions = written.decisions, let source = valueSource(decisions, references, expecting: .time) {
            checks.append(DecisionsCheck(source: source, timestamps: timestamps))
        }
        for rate in written.rates {
            if let count = valueSource(rate.count, references, expecting: .count) { checks.append(CounterRateCheck(name: rate.name, count: count)) }
        }
        for state in written.states {
            if let value = valueSource(state.value, references, expecting: .text) {
                checks.append(EngineStateCheck(name: state.name, value: value, expect: state.expect))
            }
        }
        return checks
    }

    /// The name of a sqlite probe whose database a check reads.
    private func sqliteDatabase(_ name: String, at location: ConfigLocation, _ references: References) -> String? {
        references.require(name, .sqlite, at: location, key: "database", issues) ? name : nil
    }

    /// The runtime's value source, once its probe or log rule is known to exist and to be of the kind the
    /// value needs: a heartbeat rule gives a time, a counter rule a count.
    func valueSource(_ written: ConfigFile.ValueSource, _ references: References, expecting expected: References.Expected) -> ValueSource? {
        typealias Keys = ConfigFile.ValueSource.CodingKeys
        let location = written.location
        switch written.reading {
        case .logRule(let rule):
            let key = Keys.logRule.stringValue
            switch (references.rules[rule], expected) {
            case (.heartbeat?, .time): return .logHeartbeat(rule: rule)
            case (.counter?, .count): return .logCounter(rule: rule)
            case (.heartbeat?, .count):
                issues.report("log rule \"\(rule)\" is a heartbeat (a time); this needs a counter", at: location, key: key)
            case (.counter?, .time):
                issues.report("log rule \"\(rule)\" is a counter; this needs a heartbeat (the time of the last match)", at: location, key: key)
            case (_?, .text):
                issues.report("a log rule gives a time or a count, not text; read the text from a probe", at: location, key: key)
            case (nil, _):
                issues.report("no log rule named \"\(rule)\"", at: location, key: key)
            }
            return nil
        case .sql(let probe, let query):
            return references.require(probe, .sqlite, at: location, key: Keys.probe.stringValue, issues) ? .sql(probe: probe, query: query) : nil
        case .json(let probe, let pointer):
            return references.require(probe, .http, at: location, key: Keys.probe.stringValue, issues) ? .json(probe: probe, pointer: pointer) : nil
        }
    }
}
