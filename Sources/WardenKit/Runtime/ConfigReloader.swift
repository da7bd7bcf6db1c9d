import Foundation
import Logging
import Synchronization

/// What a reload did, as `POST /-/reload` answers it.
public struct ReloadOutcome: Sendable, Encodable, Equatable {
    public var applied: Bool
    /// What changed (`ConfigChange.summary`), or why the file was refused.
    public var summary: String
    /// Each problem with its file, line and key, as `warden check-config` prints them; empty when applied.
    public var problems: [String]
    /// What the applied file has that deserves a look, as `warden check-config` prints it; also logged.
    public var warnings: [String] = []
}

/// The last reload's result, for `/metrics`.
public final class ReloadRecord: Sendable {
    public struct Last: Sendable {
        public var successful: Bool
        /// When the running config was loaded: Warden's start, or the last reload that applied.
        public var successAt: Double
    }

    private let state: Mutex<Last>

    public init(loadedAt: Double) { state = Mutex(Last(successful: true, successAt: loadedAt)) }

    public var last: Last { state.withLock { $0 } }

    func applied(at time: Double) { state.withLock { $0 = Last(successful: true, successAt: time) } }
    func refused() { state.withLock { $0.successful = false } }
}

/// Reads the config file again (SIGHUP, `POST /-/reload`) and either applies it or refuses it whole.
///
/// The new file is validated entirely before anything changes. A file with problems is refused: the running
/// config stays, every problem is logged at its line, `warden_config_last_reload_successful` goes to 0 and an
/// alert says why. A good file is applied with the least disturbance (`ConfigChange` says what restarts).
/// Reloads run one at a time, in the order asked.
actor ConfigReloader {
    private let file: String
    /// The model Warden runs with: what the next reload compares with.
    private var running: ConfigFile
    private let record: ReloadRecord
    private let logger: Logger
    /// Applies a validated config; what changed from the running one is given.
    private let apply: @Sendable (ConfigChange, WardenConfig) async throws -> Void
    /// Tells people that a reload was refused, and why.
    private let alert: @Sendable (AlertEvent) -> Void

    init(file: String, running: ConfigFile, record: ReloadRecord, logger: Logger,
         apply: @escaping @Sendable (ConfigChange, WardenConfig) async throws -> Void,
         alert: @escaping @Sendable (AlertEvent) -> Void) {
        self.file = file
        self.running = running
        self.record = record
        self.logger = logger
        self.apply = apply
        self.alert = alert
    }

    func reload() async -> ReloadOutcome {
        logger.notice("reloading the config", metadata: ["file": "\(file)"])
        let read: (model: ConfigFile, config: WardenConfig)
        do {
            read = try ConfigLoader().read(file: file, keeping: running)
        } catch {
            let problems = error.issues.map(\.description)
            for problem in problems { logger.error("config reload refused: \(problem)") }
            return refuse("the file has \(Units.counted(problems.count, "problem")); the running config stays",
                          problems: problems)
        }
        let change = ConfigChange(from: running, to: read.model)
        do {
            try await apply(change, read.config)
        } catch {
            logger.error("config reload could not be applied: \(error)")
            return refuse("could not be applied: \(error); the running config stays", problems: ["\(error)"])
        }
        // The keys that wait for a restart of Warden stay as running until then, so later reloads still say so.
        var model = read.model
        model.keepStartupKeys(of: running)
        running = model
        record.applied(at: Date().timeIntervalSince1970)
        logger.notice("config reloaded: \(change.summary)")
        return ReloadOutcome(applied: true, summary: change.summary, problems: [],
                             warnings: Self.logWarnings(of: read.config, logger: logger))
    }

    /// Logs what the config Warden now runs with has that deserves a look; returns it as `check-config` prints it.
    @discardableResult
    static func logWarnings(of config: WardenConfig, logger: Logger) -> [String] {
        let warnings = config.warnings.map(\.description)
        for warning in warnings { logger.warning("config: \(warning)") }
        return warnings
    }

    private func refuse(_ summary: String, problems: [String]) -> ReloadOutcome {
        record.refused()
        alert(AlertEvent(kind: .warden, engine: nil, level: .degraded,
                         reason: "config reload refused (\(file)): " + (problems.first ?? summary)
                            + (problems.count > 1 ? " (and \(problems.count - 1) more)" : ""),
                         at: Date().timeIntervalSince1970))
        return ReloadOutcome(applied: false, summary: summary, problems: problems)
    }
}
