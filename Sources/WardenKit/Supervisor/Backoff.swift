import Foundation

/// Exponential backoff between automatic restarts: wait longer after each failure, so that an engine that
/// cannot start does not hammer its broker, and start again from the initial delay after a stable stretch.
public struct Backoff: Sendable, Equatable {
    public var initial: Duration
    public var multiplier: Double
    public var maximum: Duration
    /// Fraction of the delay added or removed at random, so engines that crash together do not restart
    /// in lock-step against the same broker.
    public var jitter: Double
    /// Up at least this long without an unplanned exit (restarts that were asked for do not count as one) is
    /// stable, and starts the next failure from `initial` again.
    public var resetAfter: Duration

    public init(initial: Duration, multiplier: Double, maximum: Duration, jitter: Double, resetAfter: Duration) {
        self.initial = initial
        self.multiplier = multiplier
        self.maximum = maximum
        self.jitter = jitter
        self.resetAfter = resetAfter
    }

    /// Delay before restart number `attempt` (0 for the first after a stable stretch); `random` is in [0, 1).
    public func delay(attempt: Int, random: Double) -> Duration {
        let base = min(initial.seconds * pow(multiplier, Double(max(attempt, 0))), maximum.seconds)
        let spread = 1 + jitter * (2 * random - 1)
        return .seconds(double: max(0, base * spread))
    }
}
