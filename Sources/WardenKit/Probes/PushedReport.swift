/// The report an engine may push to `POST /api/v1/engines/{name}/report` (schema version 1). It is validated
/// here and then read like any probe's JSON, through the pseudo-probe named `report`.
///
/// ```json
/// {
///   "time": 1732160096.5,                        // optional: when the engine wrote it
///   "monitored_positions": 5,                    // positions with a live monitoring task
///   "last_decision_time": "2024-11-21T03:34:56Z",// when the main loop last decided
///   "websocket": [{"stream": "market", "last_message_time": 1732160095.9, "reconnects": 2}],   // market data
///   "positions": [{"symbol": "ETHUSDT", "side": "long", "entry_price": 2000, "quantity": 0.5,
///                  "pnl": {"mark": 10.0, "last": 10.5, "websocket": 10.2}}],                  // PnL per source
///   "locks": {"busy": 3, "recently_executed": 1}  // cumulative lock outcomes other than success
/// }
/// ```
/// Timestamps take any form Warden reads (ISO-8601 text, unix seconds or milliseconds). Every field is
/// optional; unknown fields are rejected, so that a typo is a 400 rather than a silently missing metric.
public enum PushedReport {
    public static let probeName = "report"

    public struct Invalid: Error, Equatable, Sendable {
        /// JSON pointer of the offending field, e.g. `/websocket/0/reconnects`.
        public let field: String
        public let message: String
    }

    public static func validate(_ document: JSONValue, timestamps: TimestampParser = TimestampParser()) -> Invalid? {
        guard case .object(let top) = document else { return Invalid(field: "", message: "expected a JSON object") }
        let known: Set = ["time", "monitored_positions", "last_decision_time", "websocket", "positions", "locks"]
        if let unknown = top.keys.sorted().first(where: { !known.contains($0) }) {
            return Invalid(field: "/" + JSONPointer.token(unknown), message: "unknown field (known: \(known.sorted().joined(separator: ", ")))")
        }
        var checker = Checker(timestamps: timestamps)
        checker.timestamp(top["time"], "/time")
        checker.count(top["monitored_positions"], "/monitored_positions")
        checker.timestamp(top["last_decision_time"], "/last_decision_time")
        checker.objects(top["websocket"], "/websocket") { stream, path, checker in
            checker.known(stream, ["stream", "last_message_time", "reconnects"], path)
            checker.string(stream["stream"], path + "/stream", required: true)
            checker.timestamp(stream["last_message_time"], path + "/last_message_time", required: true)
            checker.count(stream["reconnects"], path + "/reconnects")
        }
        checker.objects(top["positions"], "/positions") { position, path, checker in
            checker.known(position, ["symbol", "side", "entry_price", "quantity", "pnl"], path)
            checker.string(position["symbol"], path + "/symbol", required: true)
            checker.string(position["side"], path + "/side")
            checker.number(position["entry_price"], path + "/entry_price")
            checker.number(position["quantity"], path + "/quantity")
            if let pnl = position["pnl"] {
                guard case .object(let sources) = pnl else { return checker.fail(path + "/pnl", "expected an object of source: number") }
                for (name, value) in sources.sorted(by: { $0.key < $1.key }) { checker.number(value, path + "/pnl/" + JSONPointer.token(name)) }
            }
        }
        if let locks = top["locks"] {
            if case .object(let outcomes) = locks {
                for (name, value) in outcomes.sorted(by: { $0.key < $1.key }) { checker.count(value, "/locks/" + JSONPointer.token(name)) }
            } else {
                checker.fail("/locks", "expected an object of outcome: count")
            }
        }
        return checker.invalid
    }

    /// Collects the first problem; later calls are no-ops once one is found.
    private struct Checker {
        let timestamps: TimestampParser
        var invalid: Invalid?

        mutating func fail(_ field: String, _ message: String) {
            if invalid == nil { invalid = Invalid(field: field, message: message) }
        }

        mutating func known(_ object: [String: JSONValue], _ keys: Set<String>, _ path: String) {
            if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
                fail(path + "/" + JSONPointer.token(unknown), "unknown field (known: \(keys.sorted().joined(separator: ", ")))")
            }
        }

        mutating func timestamp(_ value: JSONValue?, _ field: String, required: Bool = false) {
            guard let value else { return required ? fail(field, "required") : () }
            if timestamps.parse(value) == nil { fail(field, "expected a timestamp (ISO-8601 text, unix seconds or milliseconds)") }
        }

        mutating func count(_ value: JSONValue?, _ field: String) {
            guard let value else { return }
            guard case .number(let number) = value, number >= 0, number == number.rounded(), number < 1e15 else {
                return fail(field, "expected a whole number of 0 or more")
            }
        }

        mutating func number(_ value: JSONValue?, _ field: String) {
            guard let value else { return }
            guard case .number(let number) = value, number.isFinite else { return fail(field, "expected a number") }
        }

        mutating func string(_ value: JSONValue?, _ field: String, required: Bool = false) {
            guard let value else { return required ? fail(field, "required") : () }
            guard case .string(let text) = value, !text.isEmpty else { return fail(field, "expected a non-empty string") }
        }

        mutating func objects(_ value: JSONValue?, _ field: String,
                              _ each: ([String: JSONValue], String, inout Checker) -> Void) {
            guard let value else { return }
            guard case .array(let items) = value else { return fail(field, "expected a list") }
            for (index, item) in items.enumerated() {
                guard case .object(let object) = item else { return fail("\(field)/\(index)", "expected an object") }
                each(object, "\(field)/\(index)", &self)
            }
        }
    }
}
