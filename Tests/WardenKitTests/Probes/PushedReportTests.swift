import Foundation
import Testing
@testable import WardenKit

struct PushedReportTests {
    func invalid(_ json: String) throws -> PushedReport.Invalid? {
        PushedReport.validate(try JSONValue.parse(Data(json.utf8)))
    }

    /// Found by fuzzing: a key starting with a combining mark made "/" + key one Swift character, so the field
    /// named in the 400 was not a pointer; keys with `/` or `~` named another field.
    @Test func theFieldNamedInARefusalIsAPointerToIt() throws {
        for json in [#"{"\u064c_s": 1}"#, #"{"a/b": 1}"#, #"{"~x": 1}"#, #"{"positions": [{"symbol": "X", "pnl": {"m/k": "high"}}]}"#] {
            let document = try JSONValue.parse(Data(json.utf8))
            let refusal = try #require(PushedReport.validate(document), "\(json)")
            let pointer = try #require(JSONPointer(refusal.field), "\(refusal.field) is a pointer")
            #expect(pointer.resolve(in: document) != nil, "\(refusal.field) points at the field in \(json)")
        }
        #expect(JSONPointer("/\u{064C}x/y")?.tokens == ["\u{064C}x", "y"])
    }

    @Test func aFullReportIsValid() throws {
        #expect(try invalid("""
            {"time": "2024-11-21T03:34:56Z", "monitored_positions": 5, "last_decision_time": 1732160096000,
             "websocket": [{"stream": "market", "last_message_time": 1732160095.9, "reconnects": 2}],
             "positions": [{"symbol": "ETHUSDT", "side": "long", "entry_price": 2000, "quantity": 0.5,
                            "pnl": {"mark": 10.0, "last": 10.5}}],
             "locks": {"busy": 3, "recently_executed": 0}}
            """) == nil)
        #expect(try invalid("{}") == nil, "every field is optional")
    }

    @Test func everyProblemNamesItsField() throws {
        #expect(try invalid("[]") == .init(field: "", message: "expected a JSON object"))
        #expect(try invalid(#"{"monitored": 5}"#)?.field == "/monitored")
        #expect(try invalid(#"{"monitored_positions": -1}"#) == .init(field: "/monitored_positions", message: "expected a whole number of 0 or more"))
        #expect(try invalid(#"{"monitored_positions": 2.5}"#)?.field == "/monitored_positions")
        #expect(try invalid(#"{"websocket": [{"stream": "m", "last_message_time": 1}, {"stream": "n", "last_message_time": 1, "reconnects": "x"}]}"#)?.field
                == "/websocket/1/reconnects")
        #expect(try invalid(#"{"websocket": [{"stream": "m"}]}"#) == .init(field: "/websocket/0/last_message_time", message: "required"))
        #expect(try invalid(#"{"last_decision_time": "soon"}"#)?.field == "/last_decision_time")
        #expect(try invalid(#"{"positions": [{"symbol": "ETH", "pnl": {"mark": "ten"}}]}"#)?.field == "/positions/0/pnl/mark")
        #expect(try invalid(#"{"locks": {"busy": true}}"#)?.field == "/locks/busy")
    }
}
