/// Evaluations counted as ticks. The judge evaluates at every `evaluate_every` and also early, when fresh input
/// moves a level; `escalate_after: 3` and `verify_after: 3` mean three ticks' worth of looks, not three
/// evaluations that a burst of fresh input can fit into a few milliseconds. So an evaluation counts only once
/// nine tenths of a tick have passed since the last one counted (the tenth is slack: ticks run on the monotonic
/// clock, `now` is the wall clock). A wall clock stepped back counts at once rather than holding the count.
public struct TickCount: Sendable, Equatable {
    public private(set) var count = 0
    private var countedAt: Double?

    public init() {}

    /// Counts the evaluation at `now` if it is a tick after the last one counted; returns the count.
    @discardableResult
    public mutating func add(at now: Double, tick: Duration) -> Int {
        if let countedAt, now >= countedAt, now - countedAt < tick.seconds * 0.9 { return count }
        count += 1
        countedAt = now
        return count
    }

    public mutating func reset() {
        self = TickCount()
    }
}
