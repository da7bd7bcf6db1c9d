import Foundation

/// Age of a file's modification time: for engines that touch a file on every loop.
public struct HeartbeatFileProbe: Probe {
    public let name: String
    public let path: String
    public let interval: Duration
    public let timeout: Duration

    public init(name: String, path: String, interval: Duration, timeout: Duration) {
        self.name = name
        self.path = path
        self.interval = interval
        self.timeout = timeout
    }

    public func run() async -> Result<ProbeOutput, ProbeFailure> {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return .failure(ProbeFailure("heartbeat file \(path): \(String(cString: strerror(errno)))"))
        }
        let modified = Double(info.st_mtim.tv_sec) + Double(info.st_mtim.tv_nsec) / 1e9
        return .success(.fileAge(max(0, Date().timeIntervalSince1970 - modified)))
    }
}
