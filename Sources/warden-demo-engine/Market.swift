import Foundation

/// A reproducible random source (SplitMix64), so `--seed` replays the same market and choices.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Standard normal sample (Box–Muller).
    mutating func gaussian() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &self)
        let u2 = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}

/// The three prices an engine sees for one symbol. They must agree; when they do not, the PnL
/// the engine reports depends on which feed it reads (the `pnl_divergence` incident).
struct Quote: Sendable {
    var mark: Double
    var last: Double
    var websocket: Double
}

/// Random-walk prices for the traded symbols.
struct Market: Sendable {
    static let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "BNBUSDT"]

    /// Per-step volatility of the mark price.
    private static let volatility = 0.0008
    /// Healthy feeds stay within ±0.04% of mark, hence within 0.1% of each other.
    private static let feedNoise = 0.0004
    /// Where the WebSocket feed ends up under `pnl_divergence`, and how fast it gets there.
    private static let divergence = 0.05
    private static let divergenceStep = 0.01

    private var quotes: [String: Quote]
    private var websocketDrift: Double = 0

    init() {
        let start: [String: Double] = ["BTCUSDT": 65_000, "ETHUSDT": 3_400, "SOLUSDT": 150, "BNBUSDT": 580]
        quotes = start.mapValues { Quote(mark: $0, last: $0, websocket: $0) }
    }

    func quote(_ symbol: String) -> Quote? { quotes[symbol] }

    /// One simulation step. `diverging` makes the WebSocket price walk away from mark by 1% per
    /// step up to 5%, and walk back the same way once the fault is cleared.
    mutating func advance(diverging: Bool, using rng: inout SeededGenerator) {
        let target = diverging ? Self.divergence : 0
        if websocketDrift < target {
            websocketDrift = min(target, websocketDrift + Self.divergenceStep)
        } else if websocketDrift > target {
            websocketDrift = max(target, websocketDrift - Self.divergenceStep)
        }
        for symbol in Self.symbols {
            guard let old = quotes[symbol] else { continue }
            let mark = old.mark * exp(Self.volatility * rng.gaussian())
            let last = mark * (1 + Double.random(in: -Self.feedNoise...Self.feedNoise, using: &rng))
            let websocket = mark * (1 + Double.random(in: -Self.feedNoise...Self.feedNoise, using: &rng))
                * (1 + websocketDrift)
            quotes[symbol] = Quote(mark: mark, last: last, websocket: websocket)
        }
    }
}
