/// A bot that is alive but not trading (docs/checks-and-health.md): the state it reports (freqtrade's `running`,
/// `stopped`, `paused`) against the ones expected. Any other text is a finding at the entry's level.
public struct EngineStateCheck: Check {
    public var feeds: [HealthCheck] { [.engineState] }

    public var name: String
    public var value: ValueSource
    /// Compared without regard to case.
    public var expect: [String]

    public init(name: String, value: ValueSource, expect: [String]) {
        self.name = name
        self.value = value
        self.expect = expect
    }

    private var queryName: String { "states.\(name)" }

    public var queries: [ProbeQuery] { [value.query(named: queryName)].compactMap { $0 } }

    /// A state is a word or two; a longer text is cut so that a finding stays one line.
    static let shownLength = 64

    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        guard let text = value.text(observations, queryName: queryName) else { return [] }
        let expected = expect.contains { $0.lowercased() == text.lowercased() }
        let shown = text.count > Self.shownLength ? String(text.prefix(Self.shownLength)) + "…" : text
        let detail = expected ? shown : "\(shown), expected \(expect.joined(separator: " or "))"
        return [
            CheckValue(Catalog.engineStateExpected, [name], expected ? 1 : 0),
            CheckValue(nil, [name], expected ? 0 : 1, feeds: .value(.engineState), detail: detail),
        ]
    }
}
