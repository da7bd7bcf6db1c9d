import Foundation
import GRDB

/// The simulated futures engine: market, positions, decisions, WebSocket feed, partial
/// take-profits and broker connections, advanced one tick at a time.
///
/// An actor so the HTTP handlers, the tick loop, the decision loop and the per-position
/// monitoring tasks can all touch the same state safely. Faults are read from the shared
/// `FaultBoard` at each step, so each one is a single branch where its behaviour lives.
actor Engine {
    /// Healthy bounds on the number of open positions.
    static let minOpenPositions = 3
    static let maxOpenPositions = 8
    /// Chance per tick of opening another position while between the bounds.
    static let openChancePerTick = 0.1
    /// A position lives 20…90 ticks.
    static let lifetimeTicks = 20...90
    /// Partial take-profit rounds happen every few ticks.
    static let takeProfitEveryTicks = 5
    /// Chance per tick of a (healthy) WebSocket reconnect.
    static let reconnectChancePerTick = 0.002

    let config: EngineConfig
    let faults: FaultBoard
    let db: DatabasePool
    let desk: PartialTakeProfitDesk
    let broker: BrokerLink

    var rng: SeededGenerator
    var market = Market()
    var tickCount = 0

    /// Open positions as the engine believes them to be (what `/status` reports).
    var positions: [Int64: Position] = [:]
    /// The exit optimizer: one monitoring task per open position.
    var monitors: [Int64: Task<Void, Never>] = [:]

    var websocketLastMessage = Date()
    var websocketReconnects = 0

    var decisions = 0
    var lastDecisionTime: Date?
    var lastDecisionMark: [String: Double] = [:]

    var nextCaller: Caller = .healthCheck
    var contentionTarget: StageTarget?
    var leakedLockKeys: Set<String> = []
    var leakedBytes = 0

    var brokerAttemptsInFlight = 0
    var brokerRetryTick = 0

    private var loops: [Task<Void, Never>] = []

    init(config: EngineConfig, faults: FaultBoard, db: DatabasePool, broker: BrokerLink) {
        self.config = config
        self.faults = faults
        self.db = db
        self.desk = PartialTakeProfitDesk(db: db, lockSeconds: config.lockSeconds)
        self.broker = broker
        self.rng = SeededGenerator(seed: config.seed)
    }

    // MARK: Lifecycle

    /// Picks up positions left open by a previous run and watches them again, as a real
    /// engine does after a restart.
    func bootstrap() async throws {
        let open = try await db.read { try PositionStore.loadOpen(in: $0) }
        for position in open {
            positions[position.id] = position
            startMonitor(for: position.id)
        }
        if !open.isEmpty {
            Console.info("recovered \(open.count) open positions from the database")
        }
    }

    func start() {
        maintainBrokerConnections()
        loops.append(Task { await self.runTicks() })
        loops.append(Task { await self.runDecisions() })
    }

    private func runTicks() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.tickDuration)
            await faults.waitWhileHung()
            await step()
        }
    }

    private func runDecisions() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.decisionDuration)
            await faults.waitWhileHung()
            if let decidedAt = decide() { await markDecision(at: decidedAt) }
        }
    }

    /// The decision loop's mark in the database, as trading bots keep one. It is what makes the WAL file a
    /// heartbeat (the demo config's `wal` probe): without it the WAL goes quiet whenever no position opens,
    /// closes or takes profit for a few seconds, which reads as a silent loop.
    private func markDecision(at time: Date) async {
        let stamp = Timestamp.sqlite(time)
        try? await db.write { db in
            try db.execute(
                sql: """
                    INSERT INTO system_config (config_key, config_value, updated_at) VALUES ('last_decision_time', ?, ?)
                    ON CONFLICT(config_key) DO UPDATE SET config_value = excluded.config_value, updated_at = excluded.updated_at
                    """,
                arguments: [stamp, stamp])
        }
    }

    /// One simulation step.
    func step() async {
        tickCount += 1
        market.advance(diverging: faults.isActive(.pnlDivergence), using: &rng)
        receiveWebSocketMessage()
        if faults.isActive(.leakMemory) { leakMemory() }
        if faults.isActive(.removeStops) { await removeStops() }
        await keepPositionsOpen()
        if tickCount % Self.takeProfitEveryTicks == 0 { await takeProfitRound() }
        if faults.isActive(.staleLocks) { await leakLocks() }
        maintainBrokerConnections()
    }

    // MARK: Market data

    /// The simulated WebSocket: one message per tick, a reconnect once in a while.
    private func receiveWebSocketMessage() {
        guard !faults.isActive(.staleWs) else { return }  // stale_ws: the feed goes quiet, no reconnect
        websocketLastMessage = Date()
        if Double.random(in: 0..<1, using: &rng) < Self.reconnectChancePerTick {
            websocketReconnects += 1
            Console.info("websocket reconnected to market stream (reconnects=\(websocketReconnects))")
        }
    }

    // MARK: Positions

    private func keepPositionsOpen() async {
        var toOpen = max(0, Self.minOpenPositions - positions.count)
        if toOpen == 0, positions.count < Self.maxOpenPositions,
           Double.random(in: 0..<1, using: &rng) < Self.openChancePerTick {
            toOpen = 1
        }
        for _ in 0..<toOpen { await openPosition() }
    }

    private func openPosition() async {
        guard let symbol = Market.symbols.randomElement(using: &rng),
              let side = PositionSide.allCases.randomElement(using: &rng),
              let quote = market.quote(symbol)
        else { return }
        let notional = Double.random(in: 200...2_000, using: &rng)
        let quantity = max(0.001, (notional / quote.last * 1_000).rounded() / 1_000)
        let now = Date()
        let lifetime = Double(Int.random(in: Self.lifetimeTicks, using: &rng)) * config.tick
        let draft = Position(
            id: 0, symbol: symbol, side: side, quantity: quantity, entryPrice: quote.last,
            openTime: now, plannedClose: Timestamp.wholeSeconds(now.addingTimeInterval(lifetime)))
        let withStops = !faults.isActive(.removeStops)  // remove_stops: new positions go naked
        do {
            let position = try await db.write { try PositionStore.insert(draft, withStops: withStops, in: $0) }
            positions[position.id] = position
            startMonitor(for: position.id)
            Console.info(
                "opened position #\(position.id) \(side.rawValue) \(quantity) \(symbol) @ \(format(quote.last))"
                    + " (planned close \(Timestamp.sqlite(position.plannedClose ?? now)) UTC)")
        } catch {
            Console.error("failed to open \(side.rawValue) \(symbol) position: \(error)")
        }
    }

    // MARK: Decisions

    /// A momentum decision on a random symbol. Counted even under `silent_decisions`: the
    /// engine believes it is deciding; only its output (the log line and the mark) is lost.
    /// Returns when it decided, if it said so.
    private func decide() -> Date? {
        guard let symbol = Market.symbols.randomElement(using: &rng),
              let mark = market.quote(symbol)?.mark
        else { return nil }
        let previous = lastDecisionMark[symbol] ?? mark
        lastDecisionMark[symbol] = mark
        let move = (mark - previous) / previous
        let action: String
        let confidence: Double
        if abs(move) < 0.0005 {
            action = "hold"
            confidence = Double.random(in: 0.40...0.70, using: &rng)
        } else {
            action = move > 0 ? "buy" : "sell"
            confidence = min(0.99, 0.55 + abs(move) * 50 + Double.random(in: 0...0.1, using: &rng))
        }
        let now = Date()
        decisions += 1
        lastDecisionTime = now
        guard !faults.isActive(.silentDecisions) else { return nil }
        Console.info(
            "DECISION \(Timestamp.iso8601(now)) symbol=\(symbol) action=\(action) confidence=\(String(format: "%.2f", confidence))"
        )
        return now
    }

    // MARK: Status

    func status() -> StatusReport {
        let reports = positions.values.sorted { $0.id < $1.id }.map { position in
            let quote = market.quote(position.symbol)
                ?? Quote(mark: position.entryPrice, last: position.entryPrice, websocket: position.entryPrice)
            return StatusReport.PositionReport(
                id: position.id, symbol: position.symbol, side: position.side.rawValue,
                quantity: position.quantity, entryPrice: position.entryPrice,
                pnl: .init(
                    mark: rounded(position.pnl(at: quote.mark)),
                    last: rounded(position.pnl(at: quote.last)),
                    websocket: rounded(position.pnl(at: quote.websocket))))
        }
        return StatusReport(
            openPositions: positions.count,
            monitoredPositions: monitors.count,
            monitoredPositionIds: monitors.keys.sorted(),
            websocket: .init(
                lastMessageTime: websocketLastMessage.timeIntervalSince1970, reconnects: websocketReconnects),
            lastDecisionTime: lastDecisionTime?.timeIntervalSince1970,
            decisions: decisions,
            brokerConnections: broker.count,
            positions: reports,
            faults: faults.activeNames)
    }

    private func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
}

/// Prices with as many decimals as a trader would read.
func format(_ price: Double) -> String {
    String(format: price >= 1_000 ? "%.2f" : "%.4f", price)
}
