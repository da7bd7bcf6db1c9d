import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit
import Logging
import ServiceLifecycle

// Test directories, the built products, and running a program to its end.

/// A directory that exists for one test.
final class TempDirectory {
    let path: String

    init(_ name: String = #function) {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        path = FileManager.default.temporaryDirectory.appendingPathComponent("warden-it-\(safe)-\(UUID().uuidString.prefix(8))").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ text: String) -> String {
        let target = file(name)
        try! text.write(toFile: target, atomically: true, encoding: .utf8)
        return target
    }

    func read(_ name: String) -> String? { try? String(contentsOfFile: file(name), encoding: .utf8) }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The products directory of this build (`warden` and `warden-demo-engine` sit next to the test bundle).
let productsDirectory: String = {
    let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    var directory = (me as NSString).deletingLastPathComponent
    // `swift test` runs .build/<triple>/debug/<Package>PackageTests.xctest
    if !FileManager.default.fileExists(atPath: directory + "/warden"), directory.hasSuffix(".xctest") {
        directory = (directory as NSString).deletingLastPathComponent
    }
    return directory
}()

/// Runs a program to its end and returns its exit status and its interleaved stdout and stderr.
func runToEnd(_ executable: String, _ arguments: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// Runs `argv` (argv[0] a path) to its end, stdin from /dev/null, and returns its exit status (128 + n for a death
/// by signal n) and its interleaved stdout and stderr. The wait happens on a thread of its own: the test run's
/// cooperative pool has a thread per core, and a test blocking one starves the servers other tests run in
/// process. The output goes through a file, so that a daemon the program leaves behind holding it does not hold
/// up the wait.
func spawnToEnd(_ argv: [String]) async -> (status: Int32, output: String) {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: spawnAndWait(argv)) }.start()
    }
}

private func spawnAndWait(_ argv: [String]) -> (status: Int32, output: String) {
    let outputPath = NSTemporaryDirectory() + "warden-spawn-\(UUID().uuidString)"
    defer { unlink(outputPath) }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { arguments.forEach { free($0) } }
    // The program starts with no signal blocked and every signal at its default, whatever this test process's
    // thread had: a daemon it leaves behind (supervisord) must hear the SIGTERM that stops it.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t()
    sigemptyset(&none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, arguments, environ)
    guard spawned == 0 else { return (-1, "cannot run \(argv[0]): \(String(cString: strerror(spawned)))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0, errno == EINTR {}
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    let signal = status & 0x7F
    return (signal == 0 ? (status >> 8) & 0xFF : 128 + signal, output)
}

/// Runs a generator of the repository (`dashboards/generate.py`, `alerts/generate.py`) from a copy in a fresh
/// directory, where it writes its default output beside itself, and returns that directory. A failing
/// generator fails the test.
func runGenerator(_ script: String, _ arguments: [String] = [], _ name: String = #function) throws -> TempDirectory {
    let directory = TempDirectory(name)
    let copy = directory.file((script as NSString).lastPathComponent)
    try FileManager.default.copyItem(atPath: DocumentationTests.root + "/" + script, toPath: copy)
    let (status, output) = try runToEnd("/usr/bin/python3", [copy] + arguments)
    #expect(status == 0, "\(script) \(arguments.joined(separator: " ")): \(output)")
    return directory
}
