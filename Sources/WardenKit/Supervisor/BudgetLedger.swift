/// Events counted in a sliding window against a limit: the engine's restarts (by default 10 per hour, then a
/// human is needed), and the actions of each remediation policy and of Warden as a whole.
///
/// Times are wall-clock seconds since 1970 so that the ledger can be rebuilt from the store after Warden
/// itself restarts; a clock step moves the window by the same step, which is harmless at this scale.
public struct BudgetLedger: Sendable, Equatable {
    public struct Budget: Sendable, Equatable {
        public var limit: Int
        public var window: Duration

        public init(limit: Int, window: Duration) {
            self.limit = limit
            self.window = window
        }
    }

    public let budget: Budget
    public private(set) var times: [Double] = []

    public init(budget: Budget, times: [Double] = []) {
        self.budget = budget
        self.times = times.sorted()
    }

    public func count(now: Double) -> Int {
        let cutoff = now - budget.window.seconds
        return times.reduce(0) { $0 + ($1 > cutoff ? 1 : 0) }
    }

    public func remaining(now: Double) -> Int {
        max(0, budget.limit - count(now: now))
    }

    public mutating func record(now: Double) {
        let cutoff = now - budget.window.seconds
        times.removeAll { $0 <= cutoff }
        times.append(now)
    }

    /// A human restarted the engine after Warden gave up: the window starts afresh.
    public mutating func clear() {
        times.removeAll()
    }
}

public typealias RestartBudget = BudgetLedger.Budget
