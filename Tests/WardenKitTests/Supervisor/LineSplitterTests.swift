import Foundation
import Testing
@testable import WardenKit

struct LineSplitterTests {
    @Test func linesSplitAcrossChunksAreJoined() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("first\nsec".utf8)).map(\.text) == ["first"])
        #expect(splitter.feed(Array("ond\r\nthird".utf8)).map(\.text) == ["second"])
        #expect(splitter.feed(Array("".utf8)).isEmpty)
        #expect(splitter.finish()?.text == "third", "a last line without newline is not lost")
        #expect(splitter.finish() == nil)
    }

    @Test func emptyLinesAreKept() {
        var splitter = LineSplitter()
        #expect(splitter.feed(Array("\n\na\n".utf8)).map(\.text) == ["", "", "a"])
    }

    @Test func overlongLinesArriveInMarkedPieces() {
        var splitter = LineSplitter(maxLineBytes: 4)
        let lines = splitter.feed(Array("abcdefghij\nok\n".utf8))
        #expect(lines == [.init(text: "abcd", truncated: true), .init(text: "efgh", truncated: true),
                          .init(text: "ij", truncated: true), .init(text: "ok", truncated: false)])
        var streaming = LineSplitter(maxLineBytes: 4)
        #expect(streaming.feed(Array("abcdef".utf8)) == [.init(text: "abcd", truncated: true)])
        #expect(streaming.finish() == .init(text: "ef", truncated: true), "the last piece is a piece too")
    }

    /// Found by review, now a fuzz promise: the lines were different when a read ended between a full-length
    /// line and its CRLF, or inside an overlong line.
    @Test func theLinesAreTheSameHoweverReadsCutTheStream() {
        let stream = Array("abcd\r\nabcdefghij\nabcdefgh\r\nxy\nabcdefghi\r".utf8)
        var whole = LineSplitter(maxLineBytes: 4)
        let expected = whole.feed(stream) + [whole.finish()].compactMap { $0 }
        #expect(expected.first == .init(text: "abcd", truncated: false))
        for size in 1...stream.count {
            var splitter = LineSplitter(maxLineBytes: 4)
            var lines: [LineSplitter.Line] = []
            for start in stride(from: 0, to: stream.count, by: size) {
                lines += splitter.feed(Array(stream[start..<min(stream.count, start + size)]))
            }
            lines += [splitter.finish()].compactMap { $0 }
            #expect(lines == expected, "reads of \(size) bytes")
        }
        // Found by fuzzing next: the slack kept for a CR let the last line of a stream be one byte too long.
        #expect(expected.allSatisfy { $0.text.utf8.count <= 4 }, "\(expected)")
        #expect(expected.suffix(3) == [.init(text: "abcd", truncated: true), .init(text: "efgh", truncated: true),
                                       .init(text: "i", truncated: true)])
        var last = LineSplitter(maxLineBytes: 4)
        #expect(last.feed(Array("abcde".utf8)) == [.init(text: "abcd", truncated: true)])
        #expect(last.finish() == .init(text: "e", truncated: true))
    }
}
