import Foundation
import Testing
@testable import WardenKit

struct AlertConfigTests {
    let loader = ConfigLoader(environment: ["PATH": "/usr/bin:/bin"])

    func parse(_ alerts: String) throws(ConfigError) -> WardenConfig {
        try loader.parse("""
            \(alerts)
            engines:
              - {name: bot, command: [sh, -c, "exit 0"]}
            """, file: "warden.yml", baseDirectory: "/etc/warden")
    }

    @Test func withoutChannelsAlertsGoToTheLog() throws {
        let settings = try parse("").alerts
        #expect(settings.channels.map(\.name) == ["log"] && settings.groupWindow == .seconds(10))
        #expect(settings.repeatInterval == .seconds(3600) && settings.maxAge == .seconds(86_400))
    }

    @Test func channelsAreRead() throws {
        let settings = try parse("""
            alerts:
              group_window: 0s
              repeat_interval: 30m
              channels:
                - name: desk
                  min_level: unhealthy
                  telegram: {bot_token: {file: tg.token}, chat_id: "-100123", message_thread_id: 9}
                - webhook: {url: "https://hooks.example/warden", secret: {env: HOOK_SECRET}, headers: {X-Team: ops}}
                - log: {}
            """).alerts
        #expect(settings.channels.map(\.name) == ["desk", "webhook", "log"])
        #expect(settings.channels[0].minLevel == .unhealthy && settings.groupWindow == .zero)
        guard case .telegram(let api, let token, let chat, let thread, _, let interval) = settings.channels[0].kind else {
            Issue.record("not telegram")
            return
        }
        #expect(api.absoluteString == "https://api.telegram.org" && token == .file("/etc/warden/tg.token"))
        #expect(chat == "-100123" && thread == 9 && interval == .seconds(1))
    }

    @Test func mistakesAreNamed() {
        do {
            _ = try parse("""
                alerts:
                  channels:
                    - telegram: {bot_token: "123:abc", chat_id: "1"}
                    - {webhook: {url: "ftp://x"}, log: {}}
                    - {name: a, log: {}}
                    - {name: a, log: {}, min_level: loud}
                """)
            Issue.record("accepted")
        } catch {
            let text = error.description
            #expect(text.contains("alerts.channels[0].telegram.bot_token: inline secrets are not accepted"))
            #expect(text.contains("alerts.channels[1]: a channel needs exactly one of telegram, webhook or log"))
            #expect(text.contains("alerts.channels[3].min_level: expected healthy, degraded, unhealthy or critical"))
            #expect(text.contains("alerts.channels[3]: duplicate channel name \"a\""))
        }
    }
}
