/// PnL sources that disagree (docs/incidents.md): the same position's PnL from several price sources (mark, last trade, WebSocket) must agree.
///
/// Reads an array of positions from an HTTP probe's JSON; each position has a symbol, a side, and one PnL per
/// source. Positions are matched by normalised symbol and side (`ETH`, `ETHUSDT`, `ETH_USDT` are one), so
/// sources reported in separate entries still meet.
public struct PnLCheck: Check {
    public var feeds: [HealthCheck] { [.pnlDeviation] }

    public var probe: String
    public var positions: JSONPointer
    public var symbol: JSONPointer
    public var side: JSONPointer?
    /// Source name → pointer inside one position.
    public var sources: [(name: String, pointer: JSONPointer)]
    /// Entry price and quantity inside one position: when present, deviations are relative to the position's
    /// notional value, which makes the ratio the sources' price disagreement (0.001 for 0.1%). Relative to the
    /// PnL itself, a position near break-even would read as a 100% disagreement over a few cents.
    public var entryPrice: JSONPointer?
    public var quantity: JSONPointer?
    /// The smallest scale (quote currency) a deviation is measured against, for positions without a notional.
    public var minimumScale: Double

    public init(probe: String, positions: JSONPointer, symbol: JSONPointer, side: JSONPointer?,
                sources: [(name: String, pointer: JSONPointer)], entryPrice: JSONPointer?, quantity: JSONPointer?,
                minimumScale: Double) {
        self.probe = probe
        self.positions = positions
        self.symbol = symbol
        self.side = side
        self.sources = sources
        self.entryPrice = entryPrice
        self.quantity = quantity
        self.minimumScale = minimumScale
    }

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        guard let document = observations.json(probe), case .array(let entries)? = positions.resolve(in: document) else {
            return []
        }
        var groups: [String: [String: Double]] = [:]
        var scales: [String: Double] = [:]
        var delivered: Set<String> = []
        for entry in entries {
            guard let symbol = symbol.resolve(in: entry)?.string else { continue }
            let sideText = side.flatMap { $0.resolve(in: entry)?.string } ?? ""
            let key = SymbolNormalizer.normalize(symbol) + "/" + SymbolNormalizer.normalizeSide(sideText)
            // Entries of one symbol and side add up per source (two real positions); the notional is the
            // largest an entry gives, since an engine that reports each source in its own entry repeats it.
            if let price = entryPrice.flatMap({ $0.resolve(in: entry)?.number }),
               let amount = quantity.flatMap({ $0.resolve(in: entry)?.number }) {
                scales[key] = max(scales[key] ?? 0, abs(price * amount))
            }
            for source in sources {
                if let value = source.pointer.resolve(in: entry)?.number, value.isFinite {
                    groups[key, default: [:]][source.name, default: 0] += value
                    delivered.insert(source.name)
                }
            }
        }
        var values = sources.map { source in
            CheckValue(Catalog.pnlSourceUp, [source.name], entries.isEmpty || delivered.contains(source.name) ? 1 : 0)
        }
        let deviations = groups.compactMap { key, values in
            PnLAgreement.deviation(Array(values.values), minimumScale: max(minimumScale, scales[key] ?? 0))
        }
        // No open position: nothing disagrees (0). Positions, but none with two sources: no data, not a 0.
        if entries.isEmpty {
            values.append(CheckValue(Catalog.pnlDeviation, 0, feeds: .value(.pnlDeviation)))
        } else if let worst = deviations.max() {
            values.append(CheckValue(Catalog.pnlDeviation, worst, feeds: .value(.pnlDeviation)))
        }
        return values
    }
}
