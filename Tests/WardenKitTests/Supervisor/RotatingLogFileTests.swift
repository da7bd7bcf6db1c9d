import Foundation
import Testing
@testable import WardenKit

struct RotatingLogFileTests {
    @Test func rotationKeepsTheConfiguredNumberOfFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-log-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = RotatingLogFile(path: directory + "/engine.log", maxBytes: 100, maxFiles: 3)
        for index in 0..<50 { file.write(line: String(format: "line %03d %@", index, String(repeating: "x", count: 20))) }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
        #expect(names == ["engine.log", "engine.log.1", "engine.log.2"])
        for name in names {
            let size = try #require(FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int)
            #expect(size <= 100)
        }
        let newest = try String(contentsOfFile: directory + "/engine.log", encoding: .utf8)
        #expect(newest.hasSuffix("line 049 \(String(repeating: "x", count: 20))\n"))
        let previous = try String(contentsOfFile: directory + "/engine.log.1", encoding: .utf8)
        let lastOfPrevious = try #require(previous.split(separator: "\n").last)
        let firstOfNewest = try #require(newest.split(separator: "\n").first)
        #expect(Int(lastOfPrevious.dropFirst(5).prefix(3))! + 1 == Int(firstOfNewest.dropFirst(5).prefix(3))!, "no line lost between files")
    }
}
