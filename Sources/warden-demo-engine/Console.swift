import Foundation

/// The engine's two output channels.
///
/// stdout is a pipe to the supervisor, which parses it line by line (DECISION lines,
/// `lock_busy`, `listening on …`), so `main.swift` makes it line-buffered; stderr carries errors only.
enum Console {
    static func info(_ line: String) {
        print(line)
    }

    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
