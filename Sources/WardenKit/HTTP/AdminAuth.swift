/// Bearer-token check for mutating endpoints.
public struct AdminAuth: Sendable {
    public enum Outcome: Sendable, Equatable {
        case allowed
        /// No admin token is configured: mutating endpoints are off.
        case disabled
        case denied
    }

    private let token: [UInt8]?

    public init(token: String?) {
        self.token = token.map { Array($0.utf8) }
    }

    public func check(authorization: String?) -> Outcome {
        guard let token else { return .disabled }
        guard let header = authorization, header.hasPrefix("Bearer ") else { return .denied }
        return Self.constantTimeEqual(Array(header.utf8.dropFirst(7)), token) ? .allowed : .denied
    }

    /// Compares in time that depends only on the lengths, so the response time does not tell an attacker
    /// how many leading bytes of a guess were right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference: UInt8 = 0
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
