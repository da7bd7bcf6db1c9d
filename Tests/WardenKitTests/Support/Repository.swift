import Foundation

/// The repository the tests run from: the nearest folder above this file that holds Package.swift, wherever the
/// test file that asks sits.
enum Repository {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" && !FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
            url.deleteLastPathComponent()
        }
        return url.path
    }()
}
