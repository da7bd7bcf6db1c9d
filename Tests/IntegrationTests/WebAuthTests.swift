import Foundation
import HummingbirdBcrypt
import Testing
@testable import WardenKit

/// `web:` on the real binary: Basic auth on every read but `/healthz`, TLS on the listener, client
/// certificates when a CA is named, and startup errors that name the file.
@Suite(.serialized)
struct WebAuthTests {
    static let password = "scrape-\(UUID().uuidString.prefix(8))"
    static let hash = Bcrypt.hash(password, cost: 4)

    @Test func everyReadButHealthzNeedsBasicAuthAndPostsStillNeedTheToken() async throws {
        let directory = TempDirectory()
        let token = "admin-\(UUID().uuidString)"
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper, extra: """
            admin_token: {env: WARDEN_WEB_TOKEN}
            web: {basic_auth_users: {prometheus: "\(Self.hash)"}}
            """, environment: ["WARDEN_WEB_TOKEN": token])
        let user = ["-u", "prometheus:\(Self.password)"]
        try await eventually("warden answers /healthz without credentials\n\(warden.log)") {
            (try curl(warden.base + "/healthz")).status == 200
        }
        for path in ["/metrics", "/", "/api/v1/status", "/readyz"] {
            let anonymous = try curl(warden.base + path)
            #expect(anonymous.status == 401, "\(path) without credentials")
            #expect(anonymous.output.contains(#"WWW-Authenticate: Basic realm="warden""#), "\(path) asks for Basic auth")
            #expect(try curl(warden.base + path, ["-u", "prometheus:wrong"]).status == 401, "\(path), wrong password")
            #expect(try curl(warden.base + path, ["-u", "nobody:\(Self.password)"]).status == 401, "\(path), unknown user")
            #expect(try curl(warden.base + path, ["-H", "Authorization: Bearer \(token)"]).status == 401,
                    "\(path): the admin token is no read credential")
        }
        try await eventually("the right credentials read everything\n\(warden.log)") {
            (try curl(warden.base + "/readyz", user)).status == 200
        }
        for path in ["/metrics", "/", "/api/v1/status"] {
            #expect(try curl(warden.base + path, user).status == 200, "\(path)")
        }
        let metrics = try runToEnd(try requiredTool("/usr/bin/curl"), ["-sS", "--max-time", "10"] + user + [warden.base + "/metrics"]).output
        #expect(metrics.contains("warden_engine_up{engine=\"bot\"} 1"))

        let restart = warden.base + "/api/v1/engines/bot/restart"
        #expect(try curl(restart, ["-X", "POST"] + user).status == 401, "Basic credentials alone do not restart an engine")
        #expect(try curl(restart, ["-X", "POST"]).status == 401)
        #expect(try curl(restart, ["-X", "POST", "-H", "Authorization: Bearer \(token)"]).status == 202, "the admin token still does")
        #expect(!warden.log.contains(Self.password) && !warden.log.contains(Self.hash), "neither password nor hash is logged")
    }

    @Test func tlsServesHTTPSOnlyAndAClientCAIsEnforced() async throws {
        let directory = TempDirectory()
        let server = try selfSignedCertificate(in: directory, name: "server")
        let client = try selfSignedCertificate(in: directory, name: "client", commonName: "scraper")
        let stranger = try selfSignedCertificate(in: directory, name: "stranger", commonName: "scraper")
        let warden = try WardenProcess(directory: directory, engines: WardenBinaryTests.sleeper, extra: """
            web:
              tls: {cert_file: server.pem, key_file: server.key, client_ca_file: client.pem}
            """)
        let https = "https://127.0.0.1:\(warden.port)"
        let trusted = ["--cacert", server.cert, "--cert", client.cert, "--key", client.key]
        try await eventually("warden answers over TLS to a client with a certificate\n\(warden.log)") {
            (try curl(https + "/readyz", trusted)).status == 200
        }
        #expect(try curl(https + "/metrics", trusted).status == 200)

        let anonymous = try curl(https + "/metrics", ["--cacert", server.cert])
        #expect(anonymous.status == 0, "no client certificate, no answer: \(anonymous.output)")
        let foreign = try curl(https + "/metrics", ["--cacert", server.cert, "--cert", stranger.cert, "--key", stranger.key])
        #expect(foreign.status == 0, "a certificate the CA did not sign: \(foreign.output)")
        let plaintext = try curl("http://127.0.0.1:\(warden.port)/metrics")
        #expect(plaintext.status == 0, "plain HTTP to the TLS port gets no answer: \(plaintext.output)")
        let unverified = try curl(https + "/metrics", ["--cert", client.cert, "--key", client.key])
        #expect(unverified.exit != 0, "the server's self-signed certificate is not trusted without --cacert")
        #expect(try curl(https + "/metrics", trusted).status == 200, "Warden answers on after refusing")
    }

    @Test func aCertificateThatCannotBeLoadedStopsTheStartNamingTheFile() throws {
        let directory = TempDirectory()
        let server = try selfSignedCertificate(in: directory, name: "server")
        let other = try selfSignedCertificate(in: directory, name: "other")
        _ = directory.write("garbage.pem", "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
        let cases: [(cert: String, key: String, expected: String)] = [
            ("garbage.pem", server.key, "web.tls.cert_file: cannot load \(directory.file("garbage.pem"))"),
            (server.cert, "garbage.pem", "web.tls.key_file: cannot load \(directory.file("garbage.pem"))"),
            (server.cert, other.key, "web.tls: the key in \(other.key) does not fit the certificate in \(server.cert)"),
        ]
        for (cert, key, expected) in cases {
            let config = directory.write("warden.yml", """
                listen: 127.0.0.1:\(freePort())
                state_dir: state
                web: {tls: {cert_file: \(cert), key_file: \(key)}}
                engines: [{name: bot, command: [sleep, "1000"]}]
                """)
            let (status, output) = try runToEnd(productsDirectory + "/warden", ["run", "--config", config])
            #expect(status == 1, "\(output)")
            #expect(output.contains(expected), "\(expected)\n\(output)")
        }

        let missing = directory.write("missing.yml", """
            web:
              tls: {cert_file: nowhere.pem, key_file: server.key}
            engines: [{name: bot, command: [sleep, "1000"]}]
            """)
        let (status, output) = try runToEnd(productsDirectory + "/warden", ["check-config", missing])
        #expect(status == 1)
        #expect(output.contains("missing.yml:2: web.tls.cert_file: cannot read \(directory.file("nowhere.pem"))"), "\(output)")
    }
}
