import Foundation
import Testing
@testable import WardenKit

/// `web:`: TLS files relative to the config and readable, users with bcrypt hashes only, and a listener off
/// loopback that guards its reads or says they are public.
struct WebConfigTests {
    /// A bcrypt hash of "secret" at cost 4.
    static let hash = "$2b$04$PKu3m85pBZBozzWRiiBNWeyR4qA.gDxRphVQNEQY6VCdsJqW.WF.e"
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-web-\(UUID())").path

    init() throws {
        try FileManager.default.createDirectory(atPath: directory + "/tls", withIntermediateDirectories: true)
        for name in ["cert.pem", "key.pem", "ca.pem"] {
            FileManager.default.createFile(atPath: directory + "/tls/" + name, contents: Data("pem".utf8))
        }
    }

    func load(_ yaml: String) throws(ConfigError) -> WardenConfig {
        try ConfigLoader(environment: ["PATH": "/usr/bin:/bin"]).parse(yaml, file: "warden.yml", baseDirectory: directory)
    }

    func issues(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigIssue] {
        configIssues(yaml, baseDirectory: directory, sourceLocation: sourceLocation)
    }

    @Test func tlsFilesAreRelativeToTheConfigAndUsersKeepTheirHashes() throws {
        let config = try load("""
            listen: 0.0.0.0:9780
            admin_token: {env: T}
            web:
              tls: {cert_file: tls/cert.pem, key_file: tls/key.pem, client_ca_file: tls/ca.pem}
              basic_auth_users: {prometheus: "\(Self.hash)"}
            engines: [{name: a, command: [sh]}]
            """)
        #expect(config.web.tls == .init(certFile: directory + "/tls/cert.pem", keyFile: directory + "/tls/key.pem",
                                         clientCAFile: directory + "/tls/ca.pem"))
        #expect(config.web.basicAuthUsers == ["prometheus": Self.hash])
        #expect(try load("engines: [{name: a, command: [sh]}]").web == WebSettings(), "no web: plain HTTP, no users")
    }

    @Test func aListenerOffLoopbackGuardsItsReadsOrSaysTheyArePublic() throws {
        let open = issues("""
            listen: 0.0.0.0:9780
            admin_token: {env: T}
            engines: [{name: a, command: [sh]}]
            """)
        #expect(open.map(\.path) == ["listen"])
        #expect(open.first?.line == 1)
        #expect(open.first?.message.contains("requires web.tls or web.basic_auth_users") == true)
        #expect(open.first?.message.contains("web.public_reads: true") == true)

        for web in ["{public_reads: true}", "{basic_auth_users: {p: \"\(Self.hash)\"}}",
                    "{tls: {cert_file: tls/cert.pem, key_file: tls/key.pem}}"] {
            #expect(throws: Never.self, "web: \(web)") {
                try load("listen: 0.0.0.0:9780\nadmin_token: {env: T}\nweb: \(web)\nengines: [{name: a, command: [sh]}]\n")
            }
        }
        let neither = issues("listen: 0.0.0.0:9780\nengines: [{name: a, command: [sh]}]\n")
        #expect(neither.count == 2, "the admin token is still required too: \(neither)")
    }

    @Test func everyProblemNamesItsKeyAndLineAndNeverQuotesAPassword() {
        let found = issues("""
            web:
              tls:
                cert_file: tls/missing.pem
              basic_auth_users:
                alice: hunter2-plain
                "bob:x": "\(Self.hash)"
              public_reads: maybe
              realm: x
            engines: [{name: a, command: [sh]}]
            """)
        let byPath = Dictionary(found.map { ($0.path, $0) }) { first, _ in first }
        #expect(byPath["web.tls"]?.message == "missing required key \"key_file\"")
        #expect(byPath["web.tls"]?.line == 3)
        #expect(byPath["web.basic_auth_users"]?.message.contains("user \"alice\" is not a bcrypt hash") == true)
        #expect(found.contains { $0.message.contains("\"bob:x\" contains ':'") })
        #expect(byPath["web.public_reads"]?.message == "expected true or false")
        #expect(byPath["web.public_reads"]?.line == 7)
        #expect(byPath["web.realm"]?.message.hasPrefix("unknown key") == true)
        #expect(!found.description.contains("hunter2"), "a password written by mistake is never repeated")

        let unreadable = issues("""
            web:
              tls: {cert_file: tls/cert.pem, key_file: tls/nothing-here.pem}
            engines: [{name: a, command: [sh]}]
            """)
        #expect(unreadable.map(\.description) == ["warden.yml:2: web.tls.key_file: cannot read \(directory)/tls/nothing-here.pem"])
    }

    @Test func aWebSectionRoundTripsThroughTheModel() throws {
        let yaml = """
            web:
              tls: {cert_file: tls/cert.pem, key_file: tls/key.pem}
              basic_auth_users: {b: "\(Self.hash)", a: "\(Self.hash)"}
              public_reads: true
            engines: [{name: a, command: [sh]}]
            """
        let loader = ConfigLoader(environment: [:])
        let model = try loader.readModel(yaml, file: "warden.yml")
        #expect(model.web.tls?.keyFile == "tls/key.pem" && model.web.publicReads)
        #expect(try loader.readModel(try model.yaml(), file: "again.yml") == model)
    }

    @Test func bcryptHashesAreRecognised() {
        #expect(ConfigFile.Web.isBcryptHash(Self.hash))
        #expect(ConfigFile.Web.isBcryptHash("$2y$10$" + String(repeating: "a", count: 53)))
        #expect(!ConfigFile.Web.isBcryptHash("$2b$03$" + String(repeating: "a", count: 53)), "cost below 4")
        #expect(!ConfigFile.Web.isBcryptHash("$2b$10$" + String(repeating: "a", count: 52)))
        #expect(!ConfigFile.Web.isBcryptHash("$2b$10$" + String(repeating: "!", count: 53)))
        #expect(!ConfigFile.Web.isBcryptHash("{SHA}abc"))
    }
}
