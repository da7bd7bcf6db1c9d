import Foundation
import WardenFuzzing

func fail(_ message: String, status: Int32) -> Never {
    FileHandle.standardError.write(Data("warden-fuzz: \(message)\n".utf8))
    exit(status)
}

#if WARDEN_FUZZING
// Built by `fuzz/run` with `-sanitize=fuzzer,address -DWARDEN_FUZZING`. SwiftPM links an executable's `main` to
// its module's entry point, so libFuzzer's own `main` is not used: this one hands over to libFuzzer's driver.

/// libFuzzer's entry for programs that have their own `main` (compiler-rt's FuzzerInterface.h).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

nonisolated(unsafe) private var target = FuzzTarget.config

/// One binary, five targets, one sanitized build: `WARDEN_FUZZ_TARGET` chooses.
@main
struct Fuzz {
    static func main() {
        let name = ProcessInfo.processInfo.environment["WARDEN_FUZZ_TARGET"] ?? ""
        guard let chosen = FuzzTarget(rawValue: name) else {
            fail("set WARDEN_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))", status: 2)
        }
        target = chosen
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(runFuzzerDriver(&argc, &argv) { data, size in
            _ = target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        })
    }
}
#else
/// Without the sanitizers: replays files through a target and prints what Warden made of each, so that a
/// finding can be reproduced and debugged in an ordinary build (`swift run warden-fuzz config crash-…`).
@main
struct Replay {
    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            fail("usage: warden-fuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE...", status: 2)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)", status: 1) }
            print("\(path): \(target.run(Array(data)))")
        }
    }
}
#endif
