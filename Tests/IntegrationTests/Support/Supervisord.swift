import Foundation
import Testing

// A real supervisord (Debian's `supervisor` package) of a test's own.

/// supervisord running one program, `name`, in `directory`: the program's shell writes its pid to `<name>.pid`
/// and execs the command, the way a pidfile is had from a supervisor that keeps none itself. Its output goes to
/// `<name>.log`, which supervisord rotates by renaming at `logMaxBytes`. The daemon is the test's: its socket
/// is private, and `shutdown()` stops it and the program.
final class Supervisord: Sendable {
    let directory: String
    let name: String
    /// Short: a unix socket's path must fit in 108 bytes, a test directory's may not.
    let socket = "/tmp/warden-sv-\(UUID().uuidString.prefix(8)).sock"
    var configFile: String { directory + "/supervisord.conf" }
    var pidfile: String { directory + "/\(name).pid" }
    var logFile: String { directory + "/\(name).log" }
    /// supervisorctl talking to this supervisord; append the command (`["restart", name]`).
    var control: [String] { ["/usr/bin/supervisorctl", "-c", configFile] }

    init(directory: String, name: String, command: [String], logMaxBytes: Int) async throws {
        self.directory = directory
        self.name = name
        let quoted = command.map { "'\($0)'" }.joined(separator: " ")
        try """
            [unix_http_server]
            file=\(socket)
            chmod=0700

            [supervisord]
            logfile=\(directory)/supervisord.log
            pidfile=\(directory)/supervisord.pid
            childlogdir=\(directory)

            [rpcinterface:supervisor]
            supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

            [supervisorctl]
            serverurl=unix://\(socket)

            [program:\(name)]
            command=/bin/sh -c 'echo $$ > \(pidfile); exec "$0" "$@"' \(quoted)
            directory=\(directory)
            autorestart=true
            startsecs=1
            startretries=10
            stopwaitsecs=5
            stopasgroup=true
            killasgroup=true
            redirect_stderr=true
            stdout_logfile=\(logFile)
            stdout_logfile_maxbytes=\(logMaxBytes)
            stdout_logfile_backups=5
            """.write(toFile: configFile, atomically: true, encoding: .utf8)
        // supervisord daemonizes: it returns once it runs in the background.
        let started = await spawnToEnd(["/usr/bin/supervisord", "-c", configFile])
        try #require(started.status == 0, "supervisord started: \(started.output)")
    }

    /// supervisorctl's answer to `arguments`.
    func ctl(_ arguments: String...) async -> (status: Int32, output: String) { await spawnToEnd(control + arguments) }

    /// The program's main pid as its pidfile says now.
    var pid: Int32? {
        (try? String(contentsOfFile: pidfile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Asks supervisord to stop: it stops the program's process group, then itself. Returns at once, for a `defer`.
    func shutdown() {
        guard let daemon = (try? String(contentsOfFile: directory + "/supervisord.pid", encoding: .utf8))
            .flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else { return }
        kill(daemon, SIGTERM)
    }
}
