import CWardenSys
import Foundation
import Hummingbird
import HummingbirdBcrypt
import NIOPosix
import Synchronization

/// HTTP Basic auth against `web.basic_auth_users` (bcrypt hashes).
///
/// bcrypt is slow on purpose (tens of milliseconds at cost 10), and Prometheus sends the same credentials on
/// every scrape: a password that verified once is remembered as an HMAC of user and password under a key this
/// process draws at start, so a repeat costs one HMAC and a constant-time comparison. The cache holds one
/// entry per configured user and nothing an attacker could use outside this process; neither the password nor
/// the hash is ever logged.
public final class BasicAuthenticator: Sendable {
    private let users: [String: String]
    /// Verified against when the user is unknown, so that an unknown name costs as long as a wrong password.
    private let decoyHash: String
    private let cacheKey: [UInt8]
    /// User to the HMAC of the last credentials that verified for them.
    private let verified = Mutex<[String: [UInt8]]>([:])

    /// nil when there are no users: reads are then open.
    public init?(users: [String: String]) {
        guard let decoy = users.values.sorted().first else { return nil }
        self.users = users
        decoyHash = decoy
        cacheKey = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
    }

    /// Whether the `Authorization` header carries the name and password of a configured user.
    public func check(authorization: String?) async -> Bool {
        guard let (user, password) = Self.credentials(authorization) else { return false }
        let digest = hmac(user + ":" + password)
        if let known = verified.withLock({ $0[user] }), AdminAuth.constantTimeEqual(known, digest) { return true }
        let hash = users[user] ?? decoyHash
        // Off the event loops and the cooperative pool: a verification blocks its thread for its whole length.
        let matches = (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        guard matches, users[user] != nil else { return false }
        verified.withLock { $0[user] = digest }
        return true
    }

    /// The name and password of `Basic BASE64(name:password)`; nil for anything else.
    static func credentials(_ authorization: String?) -> (user: String, password: String)? {
        guard let authorization, authorization.count > 6, authorization.prefix(6).lowercased() == "basic ",
              let data = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces))
        else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":") else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    private func hmac(_ text: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bytes = Array(text.utf8)
        cacheKey.withUnsafeBytes { key in
            bytes.withUnsafeBytes { data in
                warden_hmac_sha256(key.baseAddress, key.count, data.baseAddress, data.count, &out)
            }
        }
        return out
    }
}

/// Answers 401 with a Basic challenge unless the request carries a configured user's credentials.
struct BasicAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let authenticator: BasicAuthenticator

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        guard await authenticator.check(authorization: request.headers[.authorization]) else {
            var response = WardenHTTP.error(.unauthorized, "unauthorized")
            response.headers[.wwwAuthenticate] = #"Basic realm="warden""#
            return response
        }
        return try await next(request, context)
    }
}
