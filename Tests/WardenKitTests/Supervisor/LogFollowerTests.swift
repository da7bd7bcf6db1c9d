import Foundation
import Testing
@testable import WardenKit

/// A log file another program writes, followed the way `tail -F` follows it: the writer here is a real file
/// descriptor opened for appending, as a bot's logging library holds one.
struct LogFollowerTests {
    /// A directory of its own, and a writer appending to `bot.log` in it.
    final class Scene {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("warden-follow-\(UUID())").path
        var path: String { directory + "/bot.log" }
        private(set) var writer: Int32 = -1

        init(existing: String? = nil) {
            mkdir(directory, 0o700)
            if let existing { reopen(); write(existing) }
        }

        deinit {
            if writer >= 0 { close(writer) }
            try? FileManager.default.removeItem(atPath: directory)
        }

        /// Opens `path` for appending, creating it: what a writer does after a rotation.
        func reopen() {
            if writer >= 0 { close(writer) }
            writer = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        }

        func write(_ text: String) {
            _ = text.utf8CString.withUnsafeBufferPointer { Foundation.write(writer, $0.baseAddress, $0.count - 1) }
        }
    }

    @Test func aFileFoundAtTheStartIsReadFromItsEndAndLinesWaitForTheirNewline() {
        let scene = Scene(existing: "yesterday's news\n")
        let follower = LogFollower(path: scene.path)
        #expect(follower.look().isEmpty, "what was there before is not news")
        scene.write("DECISION buy\npart")
        #expect(follower.look().map(\.text) == ["DECISION buy"])
        scene.write("ial line\r\n")
        #expect(follower.look().map(\.text) == ["partial line"])
        #expect(follower.problem == nil)
    }

    @Test func aRenameRotationReadsTheOldFileToItsEndThenTheNewOneFromItsStart() {
        let scene = Scene(existing: "")
        let follower = LogFollower(path: scene.path)
        _ = follower.look()
        scene.write("before\n")
        #expect(follower.look().map(\.text) == ["before"])
        // The rotation: the file is renamed; the writer still holds it and writes once more, then reopens.
        rename(scene.path, scene.path + ".1")
        scene.write("late in the old file\nunfinished")
        scene.reopen()
        scene.write("first in the new file\n")
        #expect(follower.look().map(\.text) == ["late in the old file", "unfinished", "first in the new file"])
        scene.write("second\n")
        #expect(follower.look().map(\.text) == ["second"])
    }

    @Test func aCopytruncateRotationIsReadAgainFromTheStart() {
        let scene = Scene(existing: "")
        let follower = LogFollower(path: scene.path)
        _ = follower.look()
        scene.write("one long line before the rotation\n")
        #expect(follower.look().map(\.text) == ["one long line before the rotation"])
        // copytruncate: the content is copied away and the file cut to nothing; the appending writer goes on at 0.
        #expect(truncate(scene.path, 0) == 0)
        scene.write("after\n")
        #expect(follower.look().map(\.text) == ["after"])
    }

    @Test func aFileThatAppearsLaterIsReadFromItsStartAndItsAbsenceIsSaid() {
        let scene = Scene()
        let follower = LogFollower(path: scene.path)
        #expect(follower.look().isEmpty)
        #expect(follower.problem == "\(scene.path) does not exist (yet)")
        scene.reopen()
        scene.write("the first line the bot ever wrote\n")
        #expect(follower.look().map(\.text) == ["the first line the bot ever wrote"])
        #expect(follower.problem == nil)
    }

    @Test func aLineLongerThanTheCapComesInMarkedPieces() {
        let scene = Scene(existing: "")
        let follower = LogFollower(path: scene.path, maxLineBytes: 8)
        _ = follower.look()
        scene.write("0123456789abcdef01\nok\n")
        let lines = follower.look()
        #expect(lines.map(\.text) == ["01234567", "89abcdef", "01", "ok"])
        #expect(lines.map(\.truncated) == [true, true, true, false])
    }

    @Test func aPathThatIsNotAReadableFileIsNamedAndNothingIsRead() {
        let scene = Scene()
        mkdir(scene.path, 0o700)
        let follower = LogFollower(path: scene.path)
        #expect(follower.look().isEmpty)
        #expect(follower.problem?.hasPrefix("cannot read \(scene.path):") == true, "\(String(describing: follower.problem))")
    }
}
