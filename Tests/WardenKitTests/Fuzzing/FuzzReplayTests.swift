import Foundation
import Testing
@testable import WardenFuzzing

/// The fuzz targets' seeds and every input a fuzzer broke something with, replayed in the ordinary build: a
/// fixed finding stays fixed, and the targets keep working between fuzzing runs. A broken promise traps, which
/// fails the run loudly with the promise's text.
struct FuzzReplayTests {
    static let fuzzDirectory = Repository.root + "/fuzz"

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

    /// What Warden makes of each finding now; nil: anything but a trap. A new finding gets its line here.
    static let fixedFindings: [String: String?] = [
        "logs/stacked-repetitions": "stacks repetition operators",
        "logs/nested-loops-compile-slowly": "stacks repetition operators",
        "logs/stacked-optionals-compile-slowly": "stacks repetition operators",
        "logs/a-line-past-the-limit-at-the-end": nil,
        "proc/cpu-ticks-overflow": nil,
        "report/combining-mark-key": "unknown field",
    ]

    @Test(arguments: FuzzTarget.allCases)
    func everyFindingStaysFixed(_ target: FuzzTarget) {
        for finding in Self.inputs("regressions", target) {
            let name = "\(target.rawValue)/\(finding.name)"
            let verdict = target.run(finding.bytes)
            guard let expected = Self.fixedFindings[name] else {
                Issue.record("fuzz/regressions/\(name) has no expected verdict in FuzzReplayTests.fixedFindings")
                continue
            }
            if let expected {
                guard case .rejected(let reason) = verdict, reason.contains(expected) else {
                    Issue.record("\(name): expected a refusal saying \"\(expected)\", got \(verdict)")
                    continue
                }
            }
        }
    }
}
