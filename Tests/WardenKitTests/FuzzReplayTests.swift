import Foundation
import Testing
@testable import WardenFuzzing

/// The fuzz targets' seeds and every input a fuzzer broke something with, replayed in the ordinary build: a
/// fixed finding stays fixed, and the targets keep working between fuzzing runs. A broken promise traps, which
/// fails the run loudly with the promise's text.
struct FuzzReplayTests {
    static let fuzzDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path + "/fuzz"
    }()

    static func inputs(_ kind: String, _ target: FuzzTarget) -> [(name: String, bytes: [UInt8])] {
        let directory = "\(fuzzDirectory)/\(kind)/\(target.rawValue)"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().compactMap { name in
            FileManager.default.contents(atPath: "\(directory)/\(name)").map { (name, Array($0)) }
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func theSeedsReachPastTheParser(_ target: FuzzTarget) {
        let seeds = Self.inputs("corpus", target)
        #expect(seeds.count >= 2, "fuzz/corpus/\(target.rawValue) has too few seeds to start from")
        for seed in seeds {
            // Seeds are inputs Warden accepts: a fuzzer mutating them explores past the first refusal.
            #expect(target.run(seed.bytes) == .accepted, "seed \(seed.name)")
        }
    }

    @Test(arguments: FuzzTarget.allCases)
    func everyFindingStaysFixed(_ target: FuzzTarget) {
        for finding in Self.inputs("regressions", target) {
            _ = target.run(finding.bytes)
        }
    }
}
