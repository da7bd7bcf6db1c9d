import Synchronization

/// What a per-engine loop leaves for the loop that replaces it after a reload: a judge's memory, a sampler's
/// CPU account. Left when a loop ends, taken (once) when its successor starts.
public final class Handover<Value: Sendable>: Sendable {
    private let values = Mutex<[String: Value]>([:])

    public init() {}

    func leave(_ engine: String, _ value: Value) { values.withLock { $0[engine] = value } }

    func take(_ engine: String) -> Value? { values.withLock { $0.removeValue(forKey: engine) } }
}
