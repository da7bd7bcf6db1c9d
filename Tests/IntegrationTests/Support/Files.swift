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
