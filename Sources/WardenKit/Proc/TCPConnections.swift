import Foundation

/// One socket of `/proc/net/tcp` or `/proc/net/tcp6`.
public struct TCPSocket: Sendable, Equatable {
    /// Remote address: 4 bytes for IPv4, 16 for IPv6 (IPv4-mapped IPv6 addresses are reduced to 4).
    public var remoteAddress: [UInt8]
    public var remotePort: Int
    /// Kernel TCP state: 1 established, 2 syn-sent, ..., 10 listen.
    public var state: Int
    public var inode: UInt64

    public var isListening: Bool { state == 0x0A }
}

public enum ProcNetTCP {
    /// Parses `/proc/net/tcp` or `tcp6`. Addresses are hex words in host byte order (little-endian on the
    /// machines Warden runs on), ports are big hex numbers.
    public static func parse(_ text: String) -> [TCPSocket] {
        var sockets: [TCPSocket] = []
        for line in text.split(separator: "\n").dropFirst() {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 10 else { continue }
            let remote = fields[2].split(separator: ":")
            guard remote.count == 2, let port = Int(remote[1], radix: 16), let state = Int(fields[3], radix: 16),
                  let inode = UInt64(fields[9]), let address = decodeAddress(remote[0]) else { continue }
            sockets.append(TCPSocket(remoteAddress: address, remotePort: port, state: state, inode: inode))
        }
        return sockets
    }

    static func decodeAddress(_ hex: Substring) -> [UInt8]? {
        guard hex.count == 8 || hex.count == 32 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let end = hex.index(index, offsetBy: 8)
            guard let word = UInt32(hex[index..<end], radix: 16) else { return nil }
            // Each 32-bit word was printed from memory in host order: its bytes are little-endian.
            bytes += [UInt8(word & 0xff), UInt8(word >> 8 & 0xff), UInt8(word >> 16 & 0xff), UInt8(word >> 24)]
            index = end
        }
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return Array(bytes[12...])
        }
        return bytes
    }

    /// Inode of a `/proc/PID/fd/N` link target such as `socket:[12345]`.
    public static func socketInode(linkTarget: String) -> UInt64? {
        guard linkTarget.hasPrefix("socket:["), linkTarget.hasSuffix("]") else { return nil }
        return UInt64(linkTarget.dropFirst(8).dropLast())
    }
}

/// A remote endpoint to count connections to: an address or CIDR block and a port (typically the broker's
/// API, which refuses connections beyond its limit). Written `127.0.0.1:443`, `10.0.0.0/8:443`,
/// `[2001:db8::1]:443` or `[2001:db8::]/32:443`.
public struct EndpointMatcher: Sendable, Equatable {
    public var network: [UInt8]
    public var prefixLength: Int
    public var port: Int

    public init?(_ text: String) {
        let host: Substring
        var rest: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = text[text.index(after: text.startIndex)..<close]
            rest = text[text.index(after: close)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            let head = text[..<colon]
            host = head.split(separator: "/").first ?? head
            rest = text[text.index(head.startIndex, offsetBy: host.count)...]
        }
        var prefix: Int?
        if rest.hasPrefix("/") {
            let digits = rest.dropFirst().prefix { $0.isNumber }
            prefix = Int(digits)
            rest = rest.dropFirst(1 + digits.count)
        }
        guard rest.hasPrefix(":"), let port = Int(rest.dropFirst()), (1...65535).contains(port),
              let address = Self.parseAddress(String(host)) else { return nil }
        let bits = prefix ?? address.count * 8
        guard (0...address.count * 8).contains(bits) else { return nil }
        network = address
        prefixLength = bits
        self.port = port
    }

    static func parseAddress(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }

    public func matches(_ socket: TCPSocket) -> Bool {
        guard socket.remotePort == port, socket.remoteAddress.count == network.count else { return false }
        var remaining = prefixLength
        for (a, b) in zip(socket.remoteAddress, network) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if a & mask != b & mask { return false }
            remaining -= bits
        }
        return true
    }
}

/// One configured endpoint of the connections check.
public struct ConnectionEndpoint: Sendable, Equatable {
    public var name: String
    public var matcher: EndpointMatcher
    public var limit: Int?

    public init(name: String, matcher: EndpointMatcher, limit: Int?) {
        self.name = name
        self.matcher = matcher
        self.limit = limit
    }
}

/// Open TCP connections of the engine's whole tree to each endpoint, against its limit (leaked connections,
/// docs/incidents.md). The counts come from the resource sampler, which already walks the tree.
public struct ConnectionsCheck: Check {
    public var feeds: [HealthCheck] { [.connectionHeadroom] }

    public var endpoints: [ConnectionEndpoint]

    public init(endpoints: [ConnectionEndpoint]) { self.endpoints = endpoints }

    /// Headroom is judged for every endpoint with a limit; no count yet reads as no connection.
    public func values(_ observations: EngineObservations, now: Double) -> [CheckValue] {
        var values: [CheckValue] = []
        for endpoint in endpoints {
            let count = observations.connections[endpoint.name]
            if let count {
                values.append(CheckValue(Catalog.engineConnections, [endpoint.name], Double(count)))
            }
            if let limit = endpoint.limit {
                values.append(CheckValue(Catalog.engineConnectionLimit, [endpoint.name], Double(limit)))
                values.append(.judged(.connectionHeadroom, Double(limit - (count ?? 0)), subject: endpoint.name))
            }
        }
        return values
    }
}
