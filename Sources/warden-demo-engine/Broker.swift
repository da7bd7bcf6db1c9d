import Foundation
import Synchronization

/// The refusal the incident's broker sent once an account held too many API connections.
enum BrokerLimit {
    static let maxConnections = 10

    static func refusal(online: Int) -> String {
        "connections limitation is hit, limit = \(maxConnections), online = \(online)"
    }
}

/// A loopback TCP listener standing in for the broker's API when `--broker` is not given.
///
/// It only counts: accepts and holds connections, and beyond 10 concurrent ones writes the
/// refusal line and closes, which is what `connection_flood` runs into. Blocking sockets on
/// dedicated threads keep it independent from the engine's (possibly hung) tasks.
final class BrokerStandIn: Sendable {
    let endpoint: Endpoint
    private let listener: Int32
    private let online = Mutex(0)

    /// `port` 0 picks a free one.
    static func start(host: String = "127.0.0.1", port: Int = 0) throws -> BrokerStandIn {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError.last("socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        var reuse: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw SocketError.message("not an IPv4 address: \(host)")
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            let error = SocketError.last("bind/listen")
            close(fd)
            throw error
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let broker = BrokerStandIn(listener: fd, endpoint: Endpoint(host: host, port: Int(UInt16(bigEndian: address.sin_port))))
        Thread.detachNewThread { broker.acceptLoop() }
        return broker
    }

    private init(listener: Int32, endpoint: Endpoint) {
        self.listener = listener
        self.endpoint = endpoint
    }

    var onlineCount: Int { online.withLock { $0 } }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { continue }
            let admitted: Int? = online.withLock { count in
                guard count < BrokerLimit.maxConnections else { return nil }
                count += 1
                return count
            }
            guard admitted != nil else {
                let line = BrokerLimit.refusal(online: onlineCount) + "\n"
                _ = line.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
                close(client)
                continue
            }
            Thread.detachNewThread { self.hold(client) }
        }
    }

    /// Holds one admitted connection until the client closes it.
    private func hold(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 512)
        while recv(client, &buffer, buffer.count, 0) > 0 {}
        close(client)
        online.withLock { $0 -= 1 }
    }
}

enum SocketError: Error, CustomStringConvertible {
    case message(String)

    static func last(_ call: String) -> SocketError {
        .message("\(call): \(String(cString: strerror(errno)))")
    }

    var description: String {
        switch self { case .message(let text): text }
    }
}

/// The engine's side of the broker connections: 2 persistent ones ("2 connections per
/// process", as in the incident) plus the extras `connection_flood` piles up.
final class BrokerLink: Sendable {
    static let baseConnections = 2

    enum Outcome: Sendable {
        case connected(Int32)
        /// The broker answered the connection with a message and/or closed it.
        case refused(String?)
        case failed(String)
    }

    enum Role: Sendable { case base, extra }

    let endpoint: Endpoint
    private let held = Mutex<(base: [Int32], extra: [Int32])>(([], []))

    init(endpoint: Endpoint) { self.endpoint = endpoint }

    var count: Int { held.withLock { $0.base.count + $0.extra.count } }
    var baseCount: Int { held.withLock { $0.base.count } }

    func adopt(_ fd: Int32, as role: Role) {
        held.withLock { held in
            switch role {
            case .base: held.base.append(fd)
            case .extra: held.extra.append(fd)
            }
        }
    }

    /// Closes the flood's extra connections (when `connection_flood` is switched off).
    func closeExtras() -> Int {
        let extras = held.withLock { held in
            defer { held.extra = [] }
            return held.extra
        }
        extras.forEach { close($0) }
        return extras.count
    }

    /// Drops connections the broker has closed. Returns how many were lost.
    func pruneClosed() -> Int {
        held.withLock { held in
            let before = held.base.count + held.extra.count
            held.base.removeAll(where: Self.closeIfHungUp)
            held.extra.removeAll(where: Self.closeIfHungUp)
            return before - held.base.count - held.extra.count
        }
    }

    /// Opens one connection and waits briefly to see whether the broker refuses it.
    /// Runs on a Dispatch thread: connecting is blocking work the async tasks must not do.
    func open(probe: Duration = .milliseconds(150)) async -> Outcome {
        let endpoint = self.endpoint
        let probeMs = Int32(probe.components.seconds * 1000 + probe.components.attoseconds / 1_000_000_000_000_000)
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: Self.dial(endpoint, probeMs: probeMs))
            }
        }
    }

    private static func dial(_ endpoint: Endpoint, probeMs: Int32) -> Outcome {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(endpoint.host, String(endpoint.port), &hints, &list)
        guard status == 0, let list else {
            return .failed("cannot resolve \(endpoint.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            if connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) != 0 {
                lastError = String(cString: strerror(errno))
                close(fd)
                continue
            }
            return probeRefusal(fd, probeMs: probeMs)
        }
        return .failed("cannot connect to broker \(endpoint): \(lastError)")
    }

    /// A broker that accepts a connection stays silent; one that refuses it talks and hangs up.
    private static func probeRefusal(_ fd: Int32, probeMs: Int32) -> Outcome {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, probeMs) > 0 else { return .connected(fd) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        close(fd)
        guard n > 0 else { return .refused(nil) }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return .refused(text.isEmpty ? nil : text)
    }

    private static func closeIfHungUp(_ fd: Int32) -> Bool {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, 0) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 512)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 { return false }  // chatter from the broker; the connection is fine
        if n < 0, errno == EAGAIN || errno == EWOULDBLOCK { return false }
        close(fd)
        return true
    }
}
