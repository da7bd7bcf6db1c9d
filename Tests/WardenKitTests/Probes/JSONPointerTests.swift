import Foundation
import Testing
@testable import WardenKit

struct JSONPointerTests {
    @Test func pointersFollowRFC6901() throws {
        let document = try JSONValue.parse(Data(#"{"a": {"b/c": [10, {"d~e": "x"}]}, "": 7, "n": "12.5"}"#.utf8))
        #expect(JSONPointer("/a/b~1c/0")?.resolve(in: document) == .number(10))
        #expect(JSONPointer("/a/b~1c/1/d~0e")?.resolve(in: document) == .string("x"))
        #expect(JSONPointer("/")?.resolve(in: document) == .number(7))
        #expect(JSONPointer("")?.resolve(in: document) == document)
        #expect(JSONPointer("/n")?.resolve(in: document)?.number == 12.5, "numeric strings read as numbers")
        #expect(JSONPointer("/a/b~1c/2")?.resolve(in: document) == nil)
        #expect(JSONPointer("/a/b~1c/01")?.resolve(in: document) == nil, "no leading zeros")
        #expect(JSONPointer("/a/missing")?.resolve(in: document) == nil)
        #expect(JSONPointer("a/b") == nil)
    }
}
