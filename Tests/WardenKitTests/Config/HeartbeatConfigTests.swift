import Foundation
import Testing
@testable import WardenKit

/// `heartbeat:`: defaults from the model, URLs as text or secret references, problems at their key and line.
struct HeartbeatConfigTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])


    @Test func aURLAloneGetsTheDefaultsAndSecretFilesAreRelativeToTheConfig() throws {
        let plain = try #require(try loader.parse("""
            heartbeat: {url: "https://hc-ping.com/abc"}
            engines: [{name: a, command: [sh]}]
            """, file: "warden.yml", baseDirectory: "/etc/warden").heartbeat)
        #expect(plain.url == .text("https://hc-ping.com/abc"))
        #expect(plain.interval == .seconds(60) && plain.method == "GET" && plain.maxLevel == .degraded)
        #expect(plain.failURL == .derived && plain.timeout == .seconds(10))

        let secret = try #require(try loader.parse("""
            heartbeat:
              url: {file: secrets/hb}
              interval: 300ms
              method: post
              max_level: UNHEALTHY
              fail_url: {env: HB_FAIL}
            engines: [{name: a, command: [sh]}]
            """, file: "warden.yml", baseDirectory: "/etc/warden").heartbeat)
        #expect(secret.url == .secret(.file("/etc/warden/secrets/hb")))
        #expect(secret.failURL == .url(.secret(.environment("HB_FAIL"))))
        #expect(secret.interval == .milliseconds(300) && secret.method == "POST" && secret.maxLevel == .unhealthy)
        let off = try loader.parse("heartbeat: {url: \"http://127.0.0.1:1/p\", fail_url: false}\nengines: [{name: a, command: [sh]}]\n",
                                   file: "warden.yml", baseDirectory: "/").heartbeat
        #expect(off?.failURL == .off)
    }

    @Test func problemsAreNamedWithTheirKeyAndLine() {
        let found = configIssues("""
            heartbeat:
              url: ftp://example.org/ping
              interval: 0s
              method: PUT
              max_level: fine
              fail_url: true
            engines: [{name: a, command: [sh]}]
            """)
        #expect(found.map { "\($0.line ?? 0) \($0.path): \($0.message)" } == [
            "2 heartbeat.url: expected an http:// or https:// URL",
            "3 heartbeat.interval: must be greater than zero",
            "4 heartbeat.method: expected GET or POST",
            "5 heartbeat.max_level: expected healthy, degraded, unhealthy or critical",
            "6 heartbeat.fail_url: expected an http:// or https:// URL",
        ])
        #expect(configIssues("heartbeat: {interval: 1m}\nengines: [{name: a, command: [sh]}]\n").first?.message.hasPrefix(
            "missing required key \"url\"") == true)
    }

    @Test func aHeartbeatRoundTripsThroughTheModel() throws {
        for heartbeat in ["{url: \"https://hc-ping.com/abc\"}", "{url: {env: HB}, fail_url: false, method: POST}",
                          "{url: \"http://127.0.0.1:1/p\", fail_url: {file: f}, max_level: critical, interval: 5s}"] {
            let model = try loader.readModel("heartbeat: \(heartbeat)\nengines: [{name: a, command: [sh]}]\n", file: "warden.yml")
            #expect(model.heartbeat != nil)
            let yaml = try model.yaml()
            #expect(try loader.readModel(yaml, file: "again.yml") == model, "\(heartbeat)\n\(yaml)")
        }
    }
}
