import Foundation

/// What a probe saw. Probes only observe: checks turn outputs into numbers.
public enum ProbeOutput: Sendable, Equatable {
    case none
    /// The JSON body of an HTTP endpoint.
    case json(JSONValue)
    /// Results of the named queries, run in one read transaction.
    case sql([String: SQLRows])
    /// Seconds since a file was last modified.
    case fileAge(Double)
}

/// Why a probe run failed, in words that name the place (the table, the column, the URL).
public struct ProbeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The shape every probe kind shares (as blackbox_exporter's prober functions do): run once within a
/// timeout, return an output or a failure. Scheduling, timing and publishing live in `ProbeRunner`.
public protocol Probe: Sendable {
    var name: String { get }
    var interval: Duration { get }
    var timeout: Duration { get }
    func run() async -> Result<ProbeOutput, ProbeFailure>
}

/// The latest run of one probe, as kept on the status board.
public struct ProbeOutcome: Sendable, Equatable {
    public var success: Bool
    public var durationSeconds: Double
    public var at: Double
    public var failure: String?
    /// Only a successful run's output is kept: a check whose probe failed has no data, never stale data.
    public var output: ProbeOutput
    /// For pushed reports: after this time the report counts as missing.
    public var expiresAt: Double?
    /// Failed runs in a row, this one included (0 after a success).
    public var consecutiveFailures = 0
    /// When the current run of failures began (nil after a success).
    public var failingSince: Double?

    public init(success: Bool, durationSeconds: Double, at: Double, failure: String?, output: ProbeOutput,
                expiresAt: Double? = nil) {
        self.success = success
        self.durationSeconds = durationSeconds
        self.at = at
        self.failure = failure
        self.output = output
        self.expiresAt = expiresAt
    }

    /// Carries the failure streak over from the previous run of the same probe.
    public func following(_ previous: ProbeOutcome?) -> ProbeOutcome {
        var next = self
        if success {
            next.consecutiveFailures = 0
            next.failingSince = nil
        } else {
            next.consecutiveFailures = (previous.map { $0.success ? 0 : $0.consecutiveFailures } ?? 0) + 1
            next.failingSince = previous.flatMap { $0.success ? nil : $0.failingSince } ?? at
        }
        return next
    }

    /// This outcome as seen at `now`: an expired report is a failure without data.
    public func current(now: Double) -> ProbeOutcome {
        guard let expiresAt, now > expiresAt, success else { return self }
        var expired = ProbeOutcome(success: false, durationSeconds: durationSeconds, at: at,
                                   failure: "no report for \(Units.formatDuration(.seconds(double: now - at)))", output: .none,
                                   expiresAt: expiresAt)
        expired.consecutiveFailures = 1
        expired.failingSince = expiresAt
        return expired
    }
}
