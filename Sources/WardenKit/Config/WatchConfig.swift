import Foundation

/// One probe of an engine, as configured.
public struct ProbeConfig: Sendable {
    public enum Kind: Sendable {
        case http(url: URL, maxBodyBytes: Int, expectJSON: Bool, headers: RequestHeaders = RequestHeaders())
        case sqlite(path: String, busyTimeout: Duration)
        case heartbeatFile(path: String)
        /// Reports the engine pushes to Warden; older than `maxAge` they count as missing.
        case pushed(maxBodyBytes: Int, maxAge: Duration)
    }

    public var name: String
    public var interval: Duration
    public var timeout: Duration
    public var kind: Kind
    /// SQLite only: `sql` remediation actions may write to this database. Probes stay read-only regardless.
    public var allowWrites = false

    public init(name: String, interval: Duration, timeout: Duration, kind: Kind) {
        self.name = name
        self.interval = interval
        self.timeout = timeout
        self.kind = kind
    }
}

/// What Warden watches inside one engine: its probes, log rules and checks.
public struct WatchConfig: Sendable {
    public var probes: [ProbeConfig] = []
    public var logRules: [LogRule] = []
    public var checks: [any Check] = []
    /// Endpoints whose connections the resource sampler counts.
    public var connectionEndpoints: [ConnectionEndpoint] = []
    /// Offset from UTC, in seconds, of timestamps the engine stores without a zone.
    public var timestampOffset = 0

    public init() {}

    public var timestamps: TimestampParser { TimestampParser(defaultOffset: timestampOffset) }

    /// The pushed-report settings, when the engine reports.
    public var report: (maxBodyBytes: Int, maxAge: Duration)? {
        for probe in probes {
            if case .pushed(let maxBodyBytes, let maxAge) = probe.kind { return (maxBodyBytes, maxAge) }
        }
        return nil
    }

    /// The runnable probes; each SQLite probe gets the queries of the checks that read its database.
    public func makeProbes() -> [any Probe] {
        probes.compactMap { probe -> (any Probe)? in
            switch probe.kind {
            case .pushed:
                return nil
            case .http(let url, let maxBodyBytes, let expectJSON, let headers):
                return HTTPProbe(name: probe.name, url: url, interval: probe.interval, timeout: probe.timeout,
                                 maxBodyBytes: maxBodyBytes, expectJSON: expectJSON, headers: headers)
            case .sqlite(let path, let busyTimeout):
                let queries = checks.flatMap(\.queries).filter { $0.probe == probe.name }.map(\.query)
                return SQLiteProbe(name: probe.name, path: path, interval: probe.interval, timeout: probe.timeout,
                                   busyTimeout: busyTimeout, timestamps: timestamps, queries: queries)
            case .heartbeatFile(let path):
                return HeartbeatFileProbe(name: probe.name, path: path, interval: probe.interval, timeout: probe.timeout)
            }
        }
    }
}
