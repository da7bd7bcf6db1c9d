import Foundation
import Testing
@testable import WardenKit

struct ProcNetTCPTests {
    static let tcp = """
          sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11111 1 0000000000000000 100 0 0 10 0
           1: 0100007F:C350 0500000A:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 22222 1 0000000000000000 20 4 30 10 -1
        """
    static let tcp6 = """
          sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
           0: 00000000000000000000000001000000:C351 B80D0120000000000000000001000000:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 33333 1 0000000000000000 20 4 30 10 -1
           1: 0000000000000000FFFF00000100007F:C352 0000000000000000FFFF00000500000A:01BB 01 00000000:00000000 00:00000000 00000000  1000        0 44444 1 0000000000000000 20 4 30 10 -1
        """

    @Test func ipv4AndIPv6SocketsDecode() {
        let v4 = ProcNetTCP.parse(Self.tcp)
        #expect(v4.count == 2)
        #expect(v4[0].isListening)
        #expect(v4[1] == TCPSocket(remoteAddress: [10, 0, 0, 5], remotePort: 443, state: 1, inode: 22222))
        let v6 = ProcNetTCP.parse(Self.tcp6)
        #expect(v6[0].remoteAddress == [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(v6[0].remotePort == 443)
        #expect(v6[1].remoteAddress == [10, 0, 0, 5], "IPv4-mapped addresses compare as IPv4")
        #expect(ProcNetTCP.socketInode(linkTarget: "socket:[22222]") == 22222)
        #expect(ProcNetTCP.socketInode(linkTarget: "pipe:[1]") == nil)
    }

    @Test func endpointsMatchAddressesNetworksAndPorts() throws {
        let sockets = ProcNetTCP.parse(Self.tcp) + ProcNetTCP.parse(Self.tcp6)
        let exact = try #require(EndpointMatcher("10.0.0.5:443"))
        #expect(sockets.filter { !$0.isListening && exact.matches($0) }.map(\.inode) == [22222, 44444])
        let network = try #require(EndpointMatcher("10.0.0.0/8:443"))
        #expect(sockets.filter(network.matches).count == 2)
        let v6 = try #require(EndpointMatcher("[2001:db8::]/32:443"))
        #expect(sockets.filter(v6.matches).map(\.inode) == [33333])
        #expect(EndpointMatcher("10.0.0.5:80")?.matches(sockets[1]) == false, "another port")
        #expect(EndpointMatcher("10.0.0.5") == nil)
        #expect(EndpointMatcher("10.0.0.0/33:443") == nil)
        #expect(EndpointMatcher("broker.example.com:443") == nil, "names are not resolved: give addresses")
    }
}
