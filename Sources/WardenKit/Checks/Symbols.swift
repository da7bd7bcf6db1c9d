/// Symbols in the forms exchanges and engines write them (`ETH`, `ETHUSDT`, `ETH_USDT`, `ETH-USDT`,
/// `eth/usdt`), reduced to one key so that positions from different sources can be matched.
public enum SymbolNormalizer {
    /// Quote currencies stripped from the end, longest first so that `USDT` wins over `USD`.
    static let quotes = ["USDT", "USDC", "BUSD", "FDUSD", "USD", "BTC", "ETH", "EUR"]

    /// The base asset in upper case: `ETH` for all the forms above. A symbol that is only a quote currency
    /// (`BTC`) stays itself.
    public static func normalize(_ symbol: String) -> String {
        let letters = symbol.uppercased().filter { $0.isLetter || $0.isNumber }
        for quote in quotes where letters.count > quote.count && letters.hasSuffix(quote) {
            return String(letters.dropLast(quote.count))
        }
        return letters
    }

    /// `LONG`/`BUY` and `SHORT`/`SELL`, in any case, as `long` or `short`.
    public static func normalizeSide(_ side: String) -> String {
        switch side.lowercased() {
        case "long", "buy", "l": "long"
        case "short", "sell", "s": "short"
        default: side.lowercased()
        }
    }
}

/// The worst disagreement between PnL sources.
public enum PnLAgreement {
    /// Relative deviation of one position's values: (max − min) / max(max |value|, minimumScale). 0 when all
    /// agree; nil with fewer than two values.
    public static func deviation(_ values: [Double], minimumScale: Double = 0) -> Double? {
        guard values.count >= 2, let low = values.min(), let high = values.max() else { return nil }
        let scale = max(values.map(abs).max() ?? 0, minimumScale)
        guard scale > 0 else { return 0 }
        return (high - low) / scale
    }
}
