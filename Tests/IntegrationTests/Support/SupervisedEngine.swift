import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit
import Logging
import ServiceLifecycle

// One engine supervisor in-process.

/// Runs one engine supervisor in-process inside a ServiceGroup, as Warden does, for tests that need to see
/// the board and the store directly.
final class SupervisedEngine: @unchecked Sendable {
    let config: EngineConfig
    let board: StatusBoard
    let store: WardenStore
    let supervisor: EngineSupervisor
    private let task: Task<Void, Error>
    private let group: ServiceGroupHandle

    init(directory: TempDirectory, yaml: String) throws {
        let loaded = try ConfigLoader().parse("state_dir: state\nengines:\n" + yaml, file: "test.yml", baseDirectory: directory.path)
        config = loaded.engines[0]
        try FileManager.default.createDirectory(atPath: loaded.stateDirectory, withIntermediateDirectories: true)
        board = StatusBoard(engines: loaded.engines)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        store = try WardenStore(path: loaded.stateDirectory + "/warden.sqlite", logger: logger)
        supervisor = EngineSupervisor(config: config, board: board, history: store, orphanGuard: nil, logger: logger)
        let group = ServiceGroup(services: [supervisor], logger: logger)
        self.group = ServiceGroupHandle(group: group)
        task = Task { try await group.run() }
    }

    var status: EngineStatus { board.status(of: config.name)! }

    /// Graceful shutdown, as on SIGTERM; returns when the supervisor has finished.
    func stop() async throws {
        await group.group.triggerGracefulShutdown()
        try await task.value
    }

    deinit { task.cancel() }
}

struct ServiceGroupHandle: @unchecked Sendable { let group: ServiceGroup }
