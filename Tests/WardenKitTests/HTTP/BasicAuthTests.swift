import Foundation
import HummingbirdBcrypt
import Testing
@testable import WardenKit

struct BasicAuthTests {
    static func header(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    @Test func onlyAConfiguredUsersRightPasswordPasses() async throws {
        let auth = try #require(BasicAuthenticator(users: ["prom": Bcrypt.hash("s3cret:with colon", cost: 4),
                                                           "ops": Bcrypt.hash("other", cost: 4)]))
        #expect(await auth.check(authorization: Self.header("prom", "s3cret:with colon")))
        #expect(await auth.check(authorization: Self.header("prom", "s3cret:with colon")), "again, from the cache")
        #expect(await auth.check(authorization: Self.header("ops", "other")))
        #expect(!(await auth.check(authorization: Self.header("prom", "s3cret"))), "a wrong password after a right one")
        #expect(!(await auth.check(authorization: Self.header("ops", "s3cret:with colon"))), "another user's password")
        #expect(!(await auth.check(authorization: Self.header("nobody", "other"))))
        #expect(!(await auth.check(authorization: nil)))
        #expect(!(await auth.check(authorization: "Bearer abc")))
        #expect(!(await auth.check(authorization: "Basic !!!not-base64")))
        #expect(await auth.check(authorization: "basic " + Data("ops:other".utf8).base64EncodedString()), "the scheme in any case")
        #expect(BasicAuthenticator(users: [:]) == nil, "no users: no authenticator, reads are open")
    }
}
