#if canImport(Glibc)
import Glibc
#endif

/// A POSIX signal by number, named the way people write it in configs (`SIGTERM`, `TERM` or `15`).
public struct Signal: Sendable, Hashable, CustomStringConvertible {
    public let number: Int32

    public init(number: Int32) { self.number = number }

    static let names: [(String, Int32)] = [
        ("SIGHUP", SIGHUP), ("SIGINT", SIGINT), ("SIGQUIT", SIGQUIT), ("SIGILL", SIGILL), ("SIGTRAP", SIGTRAP),
        ("SIGABRT", SIGABRT), ("SIGBUS", SIGBUS), ("SIGFPE", SIGFPE), ("SIGKILL", SIGKILL), ("SIGUSR1", SIGUSR1),
        ("SIGSEGV", SIGSEGV), ("SIGUSR2", SIGUSR2), ("SIGPIPE", SIGPIPE), ("SIGALRM", SIGALRM), ("SIGTERM", SIGTERM),
        ("SIGCHLD", SIGCHLD), ("SIGCONT", SIGCONT), ("SIGSTOP", SIGSTOP), ("SIGTSTP", SIGTSTP), ("SIGTTIN", SIGTTIN),
        ("SIGTTOU", SIGTTOU), ("SIGURG", SIGURG), ("SIGXCPU", SIGXCPU), ("SIGXFSZ", SIGXFSZ), ("SIGVTALRM", SIGVTALRM),
        ("SIGPROF", SIGPROF), ("SIGWINCH", SIGWINCH), ("SIGIO", SIGIO), ("SIGPWR", SIGPWR), ("SIGSYS", SIGSYS),
    ]

    public init?(parsing text: String) {
        if let number = Int32(text) {
            guard number > 0, number < 65 else { return nil }
            self.number = number
            return
        }
        let upper = text.uppercased()
        let name = upper.hasPrefix("SIG") ? upper : "SIG" + upper
        guard let match = Self.names.first(where: { $0.0 == name }) else { return nil }
        self.number = match.1
    }

    public static let term = Signal(number: SIGTERM)
    public static let kill = Signal(number: SIGKILL)
    public static let int = Signal(number: SIGINT)
    public static let hup = Signal(number: SIGHUP)
    public static let cont = Signal(number: SIGCONT)

    public var name: String { Self.names.first { $0.1 == number }?.0 ?? "SIG\(number)" }
    public var description: String { name }
}

/// How a child ended, decoded from a wait(2) status without the C macros Swift cannot import.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    case exited(code: Int32)
    case signaled(Signal)

    public init(waitStatus status: Int32) {
        let low = status & 0x7f
        if low == 0 {
            self = .exited(code: (status >> 8) & 0xff)
        } else {
            self = .signaled(Signal(number: low))
        }
    }

    public var isSuccess: Bool { self == .exited(code: 0) }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signaled(let signal): "killed by \(signal)"
        }
    }
}
