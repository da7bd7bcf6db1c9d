import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
@testable import WardenKit
import Logging
import ServiceLifecycle

// Loopback sockets and ports, a small HTTP client, and reading an exposition.

/// A TCP socket bound to a loopback port (a free one unless given; listening when asked), and that port.
func boundLoopbackSocket(listening: Bool = false, port: Int = 0) -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var reuse: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    if listening { listen(fd, 1) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}

/// A port P with P+1 and P+2 free too, for `warden demo` (engine on P+1, stand-in broker on P+2): other tests
/// pick random ports at the same time, and a demo engine whose port is taken exits at once.
func freePortRun() -> Int {
    freePorts(3)
}

/// A loopback port nobody listens on, for a server a test starts.
///
/// Drawn below the kernel's ephemeral range (32768 and up), where bind(0) and every outgoing connection take
/// their ports: a port handed out from that range can be taken by a test's HTTP client before the server
/// binds it ("address already in use"). Never the same port twice in one run.
func freePort() -> Int {
    freePorts(1)
}

private let portsHandedOut = Mutex<Set<Int>>([])

private func freePorts(_ count: Int) -> Int {
    while true {
        let first = Int.random(in: 20_000..<(32_000 - count))
        let run = Array(first..<(first + count))
        guard portsHandedOut.withLock({ $0.isDisjoint(with: run) }) else { continue }
        let sockets = run.map { boundLoopbackSocket(port: $0) }
        sockets.forEach { close($0.fd) }
        guard zip(sockets, run).allSatisfy({ $0.0.port == $0.1 }) else { continue }
        let fresh = portsHandedOut.withLock { handed -> Bool in
            guard handed.isDisjoint(with: run) else { return false }
            handed.formUnion(run)
            return true
        }
        if fresh { return first }
    }
}

struct HTTPResult {
    var status: Int
    var body: String
    var headers: [String: String]
}

func http(_ url: String, method: String = "GET", token: String? = nil, body: String? = nil, headers: [String: String] = [:],
          timeout: Double = 5) async throws -> HTTPResult {
    var request = URLRequest(url: URL(string: url)!, timeoutInterval: timeout)
    request.httpMethod = method
    request.httpBody = body.map { Data($0.utf8) }
    if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = response as! HTTPURLResponse
    var headers: [String: String] = [:]
    for (key, value) in http.allHeaderFields { headers["\(key)".lowercased()] = "\(value)" }
    return HTTPResult(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: headers)
}

/// The value of one sample in an exposition text, e.g. `warden_engine_up{engine="bot"}`.
func metric(_ exposition: String, _ series: String) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}
