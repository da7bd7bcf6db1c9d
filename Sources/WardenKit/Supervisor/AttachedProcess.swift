import Foundation

/// Finding the main process of an engine another supervisor runs. `choose` is pure, over the processes a
/// look at /proc saw (parents included), so that "more than one match", "its own child" and "the oldest" are
/// tested without processes.
public enum AttachedProcess {
    /// One process as the finder sees it.
    public struct Candidate: Sendable, Equatable {
        public var pid: Int32
        public var startTicks: UInt64
        public var commandLine: String
        public var uid: UInt32?
        public var parent: Int32

        public init(pid: Int32, startTicks: UInt64, commandLine: String, uid: UInt32?, parent: Int32 = 1) {
            self.pid = pid
            self.startTicks = startTicks
            self.commandLine = commandLine
            self.uid = uid
            self.parent = parent
        }
    }

    /// What a look found.
    public enum Found: Sendable, Equatable {
        case process(Int32)
        /// Nothing runs now, and why, in words for the status.
        case absent(String)
    }

    /// The oldest candidate whose command line matches, owned by `uid` when given. Several matches are not a
    /// guess: the oldest is the main process of a tree that forks, but two unrelated matches are named, and
    /// none is taken.
    public static func choose(_ candidates: [Candidate], matching pattern: LinePattern, uid: UInt32?, own: Int32) -> Found {
        let matches = candidates.filter { candidate in
            candidate.pid != own && (uid == nil || candidate.uid == uid) && pattern.matches(candidate.commandLine)
        }.sorted { ($0.startTicks, $0.pid) < ($1.startTicks, $1.pid) }
        guard let oldest = matches.first else { return .absent("no process matches") }
        let parents = Dictionary(candidates.map { ($0.pid, $0.parent) }, uniquingKeysWith: { first, _ in first })
        let strangers = matches.dropFirst().filter { !isDescendant($0.pid, of: oldest.pid, parents: parents) }
        guard strangers.isEmpty else {
            let named = matches.prefix(5).map { "\($0.pid) (\($0.commandLine.prefix(80)))" }.joined(separator: ", ")
            return .absent("\(matches.count) processes match, and Warden does not guess: \(named)")
        }
        return .process(oldest.pid)
    }

    /// Whether `pid` descends from `ancestor`, by the parent links the look saw.
    private static func isDescendant(_ pid: Int32, of ancestor: Int32, parents: [Int32: Int32]) -> Bool {
        var current = pid
        for _ in 0..<64 {
            guard let parent = parents[current] else { return false }
            if parent == ancestor { return true }
            if parent <= 1 { return false }
            current = parent
        }
        return false
    }

    /// Every process's command line (arguments joined by spaces), start and owner.
    static func candidates() -> [Candidate] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Candidate? in
            guard let pid = Int32(entry), let parsed = stat(of: pid), let raw = ProcSystem.read("/proc/\(entry)/cmdline"), !raw.isEmpty else { return nil }
            let commandLine = raw.split(separator: "\0", omittingEmptySubsequences: false).joined(separator: " ")
                .trimmingCharacters(in: .whitespaces)
            let owner = (try? FileManager.default.attributesOfItem(atPath: "/proc/\(entry)"))?[.ownerAccountID] as? NSNumber
            return Candidate(pid: pid, startTicks: parsed.startTicks, commandLine: commandLine, uid: owner?.uint32Value,
                             parent: parsed.ppid)
        }
    }

    /// The pid a pidfile names, when that process runs.
    static func fromPidfile(_ path: String) -> Found {
        guard let text = ProcSystem.read(path) else { return .absent("cannot read pidfile \(path)") }
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else {
            return .absent("pidfile \(path) holds no pid")
        }
        return isRunning(pid) ? .process(pid) : .absent("pid \(pid) of pidfile \(path) does not run")
    }

    /// Whether a process with this pid exists and is not a zombie.
    static func isRunning(_ pid: Int32) -> Bool {
        guard let stat = stat(of: pid) else { return false }
        return stat.state != "Z"
    }

    private static func stat(of pid: Int32) -> ProcStat? {
        ProcSystem.read("/proc/\(pid)/stat").flatMap { ProcStat.parse(Substring($0)) }
    }
}
