import Foundation
import Testing
@testable import WardenKit

struct TimestampTests {
    let utc = TimestampParser()

    @Test func everyFormEnginesUseIsRead() {
        let expected = 1_732_160_096.0   // 2024-11-21T03:34:56Z
        #expect(utc.parse(text: "2024-11-21T03:34:56Z") == expected)
        #expect(utc.parse(text: "2024-11-21 03:34:56") == expected, "SQL text without a zone is UTC")
        #expect(utc.parse(text: "2024-11-21T11:34:56+08:00") == expected)
        #expect(utc.parse(text: "2024-11-21T11:34:56+0800") == expected)
        #expect(utc.parse(text: "2024-11-20T22:34:56-05:00") == expected)
        #expect(utc.parse(text: "2024-11-21T03:34:56.250Z") == expected + 0.25)
        #expect(utc.parse(text: "2024-11-21T03:34") == expected - 56)
        #expect(utc.parse(.integer(1_732_160_096)) == expected)
        #expect(utc.parse(.integer(1_732_160_096_000)) == expected, "milliseconds")
        #expect(utc.parse(.real(1_732_160_096.5)) == expected + 0.5)
        #expect(utc.parse(.text("1732160096000")) == expected)
        #expect(utc.parse(JSONValue.number(1_732_160_096)) == expected)
    }

    @Test func zonelessTextFollowsTheConfiguredOffset() {
        let shanghai = TimestampParser(defaultOffset: TimestampParser.parseOffset("+08:00")!)
        #expect(shanghai.parse(text: "2024-11-21 11:34:56") == 1_732_160_096)
        #expect(shanghai.parse(text: "2024-11-21T03:34:56Z") == 1_732_160_096, "an explicit zone wins")
        #expect(TimestampParser.parseOffset("Z") == 0)
        #expect(TimestampParser.parseOffset("-05:30") == -19_800)
        #expect(TimestampParser.parseOffset("Asia/Shanghai") == nil)
    }

    @Test func garbageIsNoTimestamp() {
        for text in ["", "yesterday", "2024-13-01 00:00:00", "2024-11-21T25:00:00", "2024-11-21T03:34:56Zjunk", "2024/11/21 03:34"] {
            #expect(utc.parse(text: text) == nil, "\(text)")
        }
        #expect(utc.parse(SQLValue.null) == nil)
        #expect(utc.parse(.integer(-5)) == nil)
        #expect(utc.parse(text: "1970-01-02T00:00:00Z") == 86_400)
        #expect(utc.parse(text: "2000-03-01T00:00:00Z") == 951_868_800, "after a leap day of a century leap year")
        #expect(utc.parse(text: "2024-02-29 12:00:00") == 1_709_208_000)
    }
}
