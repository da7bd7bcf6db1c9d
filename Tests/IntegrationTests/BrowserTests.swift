import Foundation
import Testing
@testable import WardenKit

/// The status page in a real browser: Debian's Chromium, headless, against a running demo with a fault on.
/// Screenshots at desktop and phone widths are kept in `.build/test-artifacts/` (or `$WARDEN_TEST_ARTIFACTS`).
struct BrowserTests {
    static let artefacts: String = {
        let directory = ProcessInfo.processInfo.environment["WARDEN_TEST_ARTIFACTS"]
            ?? DocumentationTests.root + "/.build/test-artifacts"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }()

    /// Chromium with a profile of its own (tests run in parallel), bounded in time; as root it needs --no-sandbox,
    /// which is acceptable for a loopback page the test itself serves.
    static func chromium(_ arguments: [String], profile: TempDirectory) throws -> (status: Int32, output: String) {
        try runToEnd("/usr/bin/timeout", ["60", "/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                          "--hide-scrollbars", "--user-data-dir=\(profile.path)"] + arguments)
    }

    @Test func chromiumShowsTheFaultyComponentAtItsLevelOnDesktopAndPhone() async throws {
        let demo = try await DemoWarden.start()
        defer { demo.stop() }
        try await demo.waitFor("positions", .healthy)
        try await demo.fault("remove_stops")
        try await demo.waitFor("positions", .critical)
        let url = demo.warden.base + "/"
        let profile = TempDirectory("chromium")

        let (status, dom) = try Self.chromium(["--dump-dom", url], profile: profile)
        #expect(status == 0, "chromium: \(dom.suffix(2000))")
        #expect(dom.contains("data-component=\"positions\" data-level=\"CRITICAL\""), "the DOM shows the fault's component")
        #expect(dom.contains("data-engine=\"demo\" data-level=\"CRITICAL\""))
        #expect(dom.contains("unprotected positions"))

        for (name, size) in [("status-desktop", "1280,900"), ("status-phone", "390,844")] {
            let path = Self.artefacts + "/\(name).png"
            try? FileManager.default.removeItem(atPath: path)
            let (status, output) = try Self.chromium(["--window-size=\(size)", "--screenshot=\(path)", url], profile: profile)
            let bytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(status == 0 && bytes > 10_000, "\(name): \(bytes) bytes; \(output.suffix(1000))")
        }
    }
}
