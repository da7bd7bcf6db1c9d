import Foundation
import Testing
@testable import WardenKit

struct SymbolAndPnLTests {
    @Test func symbolFormsOfOneAssetMeet() {
        for form in ["ETH", "ETHUSDT", "ETH_USDT", "ETH-USDT", "eth/usdt", "ETHUSDC", "ETHBUSD"] {
            #expect(SymbolNormalizer.normalize(form) == "ETH", "\(form)")
        }
        #expect(SymbolNormalizer.normalize("BTC") == "BTC", "a bare quote currency stays itself")
        #expect(SymbolNormalizer.normalize("SOL_USD") == "SOL")
        #expect(SymbolNormalizer.normalize("1000PEPEUSDT") == "1000PEPE")
        #expect(SymbolNormalizer.normalizeSide("LONG") == "long")
        #expect(SymbolNormalizer.normalizeSide("sell") == "short")
    }

    @Test func deviationArithmetic() {
        #expect(PnLAgreement.deviation([100, 100, 100]) == 0)
        #expect(PnLAgreement.deviation([100, 95]) == 0.05)
        #expect(PnLAgreement.deviation([-10, 10]) == 2, "opposite signs are a full disagreement")
        #expect(PnLAgreement.deviation([0.01, 0.02], minimumScale: 1) == 0.01, "near zero, the floor keeps it small")
        #expect(PnLAgreement.deviation([0, 0]) == 0)
        #expect(PnLAgreement.deviation([42]) == nil, "one source compares with nothing")
    }

    @Test func pnlCheckMatchesPositionsAcrossSymbolFormsAndUsesTheNotional() throws {
        let body = """
            {"positions": [
              {"symbol": "ETHUSDT", "side": "LONG", "entry_price": 2000, "quantity": 0.5, "pnl": {"mark": 10, "last": 10.5}},
              {"symbol": "ETH_USDT", "side": "long", "pnl": {"websocket": 60}},
              {"symbol": "BTCUSDT", "side": "SHORT", "entry_price": 50000, "quantity": 0.01, "pnl": {"mark": -3, "last": -3}}
            ]}
            """
        var observations = EngineObservations()
        observations.probes["status"] = ProbeOutcome(success: true, durationSeconds: 0, at: 0, failure: nil,
                                                     output: .json(try JSONValue.parse(Data(body.utf8))))
        let check = PnLCheck(probe: "status", positions: JSONPointer("/positions")!, symbol: JSONPointer("/symbol")!,
                             side: JSONPointer("/side"), sources: [("mark", JSONPointer("/pnl/mark")!), ("last", JSONPointer("/pnl/last")!),
                                                                   ("websocket", JSONPointer("/pnl/websocket")!)],
                             entryPrice: JSONPointer("/entry_price"), quantity: JSONPointer("/quantity"), minimumScale: 1)
        let samples = check.values(observations, now: 0)
        // ETH long: 10, 10.5 and 60 over a notional of 1000 → 0.05; BTC agrees.
        #expect(samples.first { $0.metric == Catalog.pnlDeviation }?.value == 0.05)
        #expect(samples.filter { $0.metric == Catalog.pnlSourceUp }.map(\.value) == [1, 1, 1])

        observations.probes["status"]?.success = false
        #expect(check.values(observations, now: 0).isEmpty, "a failed probe is no data, not a zero")
    }
}
