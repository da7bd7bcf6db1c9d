/// A stale market feed (docs/incidents.md): how long since each WebSocket stream last delivered a message or
/// pong, and its reconnects.
public struct WebSocketCheck: Check {
    public var feeds: [HealthCheck] { [.websocketLag] }

    public var stream: String
    public var lastMessage: ValueSource
    public var reconnects: ValueSource?
    public var timestamps: TimestampParser

    public init(stream: String, lastMessage: ValueSource, reconnects: ValueSource?, timestamps: TimestampParser) {
        self.stream = stream
        self.lastMessage = lastMessage
        self.reconnects = reconnects
        self.timestamps = timestamps
    }

    public var queries: [ProbeQuery] {
        [lastMessage.query(named: "websocket.\(stream).last"), reconnects?.query(named: "websocket.\(stream).reconnects")]
            .compactMap { $0 }
    }

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        var values: [CheckValue] = []
        if let last = lastMessage.time(observations, queryName: "websocket.\(stream).last", parser: timestamps) {
            values.append(CheckValue(Catalog.websocketLag, [stream], max(0, now - last), feeds: .value(.websocketLag)))
        }
        if let count = reconnects?.number(observations, queryName: "websocket.\(stream).reconnects") {
            values.append(CheckValue(Catalog.websocketReconnects, [stream], count))
        }
        return values
    }
}

/// A main loop that stops deciding while the process looks alive (docs/incidents.md): seconds since the engine
/// last decided (a log heartbeat, a status field or a SQL timestamp).
/// Before the first decision of a run, the age counts from the engine's start: an engine that never decides
/// must show a growing age, not nothing.
public struct DecisionsCheck: Check {
    public var feeds: [HealthCheck] { [.decisionAge] }

    public var source: ValueSource
    public var timestamps: TimestampParser

    public init(source: ValueSource, timestamps: TimestampParser) {
        self.source = source
        self.timestamps = timestamps
    }

    public var queries: [ProbeQuery] { [source.query(named: "decisions.last")].compactMap { $0 } }

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        let last = source.time(observations, queryName: "decisions.last", parser: timestamps)
        let since: Double?
        switch (last, observations.engineStartedAt) {
        case (let last?, let started?): since = max(last, started)
        case (let last?, nil): since = last
        case (nil, let started?):
            // A JSON or SQL source that failed is no data; a log rule that has not matched yet is "not since start".
            if case .logHeartbeat = source { since = started } else { since = nil }
        case (nil, nil): since = nil
        }
        guard let since else { return [] }
        return [CheckValue(Catalog.decisionAge, max(0, now - since), feeds: .value(.decisionAge))]
    }
}
