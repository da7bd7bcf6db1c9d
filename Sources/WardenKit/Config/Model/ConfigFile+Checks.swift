extension ConfigFile {
    /// `checks:`: what Warden computes from the probes, log rules and the engine's connections.
    public struct Checks: Sendable, Equatable, Encodable {
        public var positions: Positions?
        public var locks: Locks?
        public var pnl: PnL?
        public var websocket: [WebSocketStream] = []
        /// When the engine last decided: a time.
        public var decisions: ValueSource?
        public var connections: [ConnectionEndpoint] = []
        public var rates: [CounterRate] = []
        public var states: [ExpectedState] = []

        enum CodingKeys: String, CodingKey { case positions, locks, pnl, websocket, decisions, connections, rates, states }
    }

    /// One `rates:` entry: a counter whose per-minute rate is judged against its own bounds (exchange warnings
    /// per minute). The source is written in the entry: `{name, log_rule: NAME, degraded: 5/min}`.
    public struct CounterRate: Sendable, Equatable, Encodable {
        /// The `rate` label, and the finding's subject.
        public var name: String
        /// A count: a counter log rule, or a number the engine reports.
        public var count: ValueSource
        /// Per minute; at least one bound.
        public var threshold: Threshold
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey { case name }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try count.encode(to: encoder)
            try WrittenThreshold(threshold: threshold, unit: .perMinute).encode(to: encoder)
        }
    }

    /// One `states:` entry: text the engine reports (freqtrade's `state`), which must be one of `expect`; any
    /// other value is a finding at `level`. `{name, probe: api, pointer: /state, expect: running}`.
    public struct ExpectedState: Sendable, Equatable, Encodable {
        /// The `state` label, and the finding's subject.
        public var name: String
        /// Text, from an HTTP probe's JSON or a SQL query.
        public var value: ValueSource
        /// Compared without regard to case.
        public var expect: [String]
        /// A bot stopped or paused is mostly a person's doing: worth a look, not a restart.
        public var level = HealthLevel.degraded
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey { case name, expect, level }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try value.encode(to: encoder)
            try container.encode(expect, forKey: .expect)
            try container.encode(level, forKey: .level)
        }
    }

    /// Where a check reads one value. Which probe or log rule it names is checked once every probe and rule
    /// of the engine is known.
    public struct ValueSource: Sendable, Equatable, Encodable {
        public enum Reading: Sendable, Equatable {
            /// `{probe: NAME, pointer: /path}`: a value of an HTTP probe's JSON body (or of a pushed report).
            case json(probe: String, pointer: JSONPointer)
            /// `{probe: NAME, query: SQL}`: the first column of the first row, on a SQLite probe.
            case sql(probe: String, query: String)
            /// `{log_rule: NAME}`: a heartbeat rule's last match, or a counter rule's count.
            case logRule(String)
        }

        public var reading: Reading
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey { case probe, pointer, query, logRule = "log_rule" }

        init(_ reading: Reading) { self.reading = reading }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch reading {
            case .json(let probe, let pointer):
                try container.encode(probe, forKey: .probe)
                try container.encode(pointer, forKey: .pointer)
            case .sql(let probe, let query):
                try container.encode(probe, forKey: .probe)
                try container.encode(query, forKey: .query)
            case .logRule(let rule):
                try container.encode(rule, forKey: .logRule)
            }
        }
    }

    /// `positions:`: open positions against monitored ones, overdue and unprotected positions. The default
    /// queries are the check's own, written for the reference schema. Each part can be left out with `off`
    /// for its query (an engine that plans no close times: `overdue_query: off`).
    public struct Positions: Sendable, Equatable, Encodable {
        /// The sqlite probe whose database holds the positions.
        public var database: String
        /// How many positions the engine monitors: a count.
        public var monitored: ValueSource?
        /// None (`off`): open positions are not counted, and so not compared with monitored ones.
        public var openQuery: String? = PositionsCheck.defaultOpenQuery
        /// None (`off`): no overdue positions are looked for.
        public var overdueQuery: String? = PositionsCheck.defaultOverdueQuery
        /// A position is overdue this long after its planned close.
        @DurationNotation public var overdueGrace: Duration = .seconds(60)
        /// None (`off`): no unprotected positions are looked for.
        public var unprotectedQuery: String? = PositionsCheck.defaultUnprotectedQuery
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey {
            case database, monitored, openQuery = "open_query", overdueQuery = "overdue_query"
            case overdueGrace = "overdue_grace", unprotectedQuery = "unprotected_query"
        }

        init(database: String) { self.database = database }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(database, forKey: .database)
            try container.encodeIfPresent(monitored, forKey: .monitored)
            try container.encode(openQuery ?? "off", forKey: .openQuery)
            try container.encode(overdueQuery ?? "off", forKey: .overdueQuery)
            try container.encode(_overdueGrace, forKey: .overdueGrace)
            try container.encode(unprotectedQuery ?? "off", forKey: .unprotectedQuery)
        }
    }

    /// `locks:`: lock rows and their history from a database, or lock outcomes from log counters or report
    /// fields, or both.
    public struct Locks: Sendable, Equatable, Encodable {
        /// The sqlite probe whose database holds the locks; none: counts only.
        public var database: String?
        /// Lock attempts refused because the lock was held: a count.
        public var busy: ValueSource?
        /// Lock attempts refused because the work was just done: a count.
        public var recentlyExecuted: ValueSource?
        /// None (`off`): lock rows are not read, only contention.
        public var query: String? = LocksCheck.defaultQuery
        /// Read only with a `database`.
        public var contentionQuery = LocksCheck.defaultContentionQuery
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey {
            case database, busy, recentlyExecuted = "recently_executed", query, contentionQuery = "contention_query"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encodeIfPresent(database, forKey: .database)
            try container.encodeIfPresent(busy, forKey: .busy)
            try container.encodeIfPresent(recentlyExecuted, forKey: .recentlyExecuted)
            try container.encode(query, forKey: .query)
            if database != nil { try container.encode(contentionQuery, forKey: .contentionQuery) }
        }
    }

    /// `pnl:`: the same position's PnL from several price sources, which must agree.
    public struct PnL: Sendable, Equatable, Encodable {
        /// One named price source: a pointer into each position entry.
        public struct Source: Sendable, Equatable {
            public var name: String
            public var pointer: JSONPointer

            /// Sources written as one mapping of names to pointers, in their order.
            @propertyWrapper
            public struct Mapping: Sendable, Equatable, Encodable {
                public var wrappedValue: [Source]

                public init(wrappedValue: [Source]) { self.wrappedValue = wrappedValue }

                public func encode(to encoder: any Encoder) throws {
                    try NamedValues(entries: wrappedValue.map { ($0.name, $0.pointer) }).encode(to: encoder)
                }
            }
        }

        /// The HTTP probe (or pushed report) whose body lists the positions.
        public var probe: String
        public var positions = JSONPointer("/positions")!
        /// Within each position entry, as are the pointers below.
        public var symbol = JSONPointer("/symbol")!
        /// None (`side: null`): positions are told apart by symbol alone.
        @NullWhenNone public var side = JSONPointer("/side")
        /// In the order written; at least two.
        @Source.Mapping public var sources = [Source(name: "mark", pointer: JSONPointer("/pnl/mark")!),
                                              Source(name: "last", pointer: JSONPointer("/pnl/last")!),
                                              Source(name: "websocket", pointer: JSONPointer("/pnl/websocket")!)]
        /// With `quantity`, the position's notional, which makes the deviation a price disagreement; none
        /// (`null`): the deviation is relative to `min_scale`.
        @NullWhenNone public var entryPrice = JSONPointer("/entry_price")
        @NullWhenNone public var quantity = JSONPointer("/quantity")
        /// The smallest notional a deviation is taken relative to.
        @NumberNotation public var minScale = 1.0
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey {
            case probe, positions, symbol, side, sources, entryPrice = "entry_price", quantity, minScale = "min_scale"
        }

        init(probe: String) { self.probe = probe }
    }

    /// One `websocket:` entry: a market data stream and how fresh its last message is.
    public struct WebSocketStream: Sendable, Equatable, Encodable {
        /// The name of an engine's one stream, when it has one.
        public static let defaultStream = "default"

        public var stream = WebSocketStream.defaultStream
        /// The time of the stream's last message.
        public var lastMessage: ValueSource
        /// How often the stream reconnected: a count.
        public var reconnects: ValueSource?
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey { case stream, lastMessage = "last_message", reconnects }
    }

    /// One `connections:` entry: a remote endpoint whose connections from the engine's tree are counted.
    public struct ConnectionEndpoint: Sendable, Equatable, Encodable {
        /// None: the endpoint as written.
        public var name: String?
        /// `ADDRESS:PORT` or `CIDR:PORT`, such as `10.0.0.5:443` or `10.0.0.0/8:443`.
        public var endpoint: String
        /// The broker's connection limit; none: counted, not judged.
        public var limit: Int?

        enum CodingKeys: String, CodingKey { case name, endpoint, limit }
    }
}
