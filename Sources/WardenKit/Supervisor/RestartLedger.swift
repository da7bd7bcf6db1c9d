/// Restarts counted in a sliding window against a budget (seed 001: 10 per hour, then a human is needed).
///
/// Times are wall-clock seconds since 1970 so that the ledger can be rebuilt from the store after Warden
/// itself restarts; a clock step moves the window by the same step, which is harmless at this scale.
public struct RestartLedger: Sendable, Equatable {
    public struct Budget: Sendable, Equatable {
        public var maxRestarts: Int
        public var window: Duration

        public init(maxRestarts: Int, window: Duration) {
            self.maxRestarts = maxRestarts
            self.window = window
        }
    }

    public let budget: Budget
    public private(set) var restartTimes: [Double] = []

    public init(budget: Budget, restartTimes: [Double] = []) {
        self.budget = budget
        self.restartTimes = restartTimes.sorted()
    }

    public func count(now: Double) -> Int {
        let cutoff = now - budget.window.seconds
        return restartTimes.reduce(0) { $0 + ($1 > cutoff ? 1 : 0) }
    }

    public func remaining(now: Double) -> Int {
        max(0, budget.maxRestarts - count(now: now))
    }

    public mutating func record(now: Double) {
        let cutoff = now - budget.window.seconds
        restartTimes.removeAll { $0 <= cutoff }
        restartTimes.append(now)
    }

    /// A human restarted the engine after Warden gave up: the window starts afresh.
    public mutating func clear() {
        restartTimes.removeAll()
    }
}

public typealias RestartBudget = RestartLedger.Budget
