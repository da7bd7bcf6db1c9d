import Foundation
import WardenKit

/// Every input Warden takes from outside, as a libFuzzer target: the config file (from its operator), pushed
/// reports and Alertmanager notifications (from the network), `/proc` (from the kernel, describing processes
/// the engine controls) and the engine's output (through the line splitter and the log rules).
///
/// Each target takes raw bytes, drives the same code Warden runs on them, and checks the promises that code
/// makes beyond "does not crash". `fuzz/run` builds them with libFuzzer and AddressSanitizer; the tests replay
/// the seed corpus and every input a fuzzer ever broke something with (`fuzz/regressions/`).
public enum FuzzTarget: String, CaseIterable, Sendable {
    case config
    case report
    case alertmanager
    case proc
    case logs

    public func run(_ bytes: [UInt8]) -> FuzzVerdict {
        switch self {
        case .config: ConfigFuzz.run(bytes)
        case .report: ReportFuzz.run(bytes)
        case .alertmanager: AlertmanagerFuzz.run(bytes)
        case .proc: ProcFuzz.run(bytes)
        case .logs: LogsFuzz.run(bytes)
        }
    }
}

/// What Warden made of one input. Rejections carry the text a user would see, so that tests can hold it to
/// naming the place.
public enum FuzzVerdict: Sendable, Equatable {
    case accepted
    case rejected(String)
}

/// Runs `body` on the bytes read as JSON, as the HTTP handlers read a body; a parse failure is the rejection
/// they answer 400 with.
func readingJSON(_ bytes: [UInt8], then body: (JSONValue) -> FuzzVerdict) -> FuzzVerdict {
    let document: JSONValue
    do {
        document = try JSONValue.parse(Data(bytes))
    } catch {
        return .rejected(JSONValue.reason(error))
    }
    return body(document)
}

/// A promise of the code under test. Broken, it traps, so that libFuzzer keeps the input as a finding.
func promise(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError("broken promise: \(message())", file: file, line: line) }
}
