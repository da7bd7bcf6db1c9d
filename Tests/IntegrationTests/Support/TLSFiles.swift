import Foundation
import Testing

// Certificates made by the real openssl, and requests made by the real curl, for Warden's TLS listener.

/// A tool these tests run, or a failure that names it: never a skip.
func requiredTool(_ path: String) throws -> String {
    guard FileManager.default.isExecutableFile(atPath: path) else {
        Issue.record("\(path) is missing: scripts/install-deps --test installs it")
        throw MissingTool()
    }
    return path
}

struct MissingTool: Error {}

/// A self-signed certificate for 127.0.0.1 and localhost, and its key, written into `directory` by
/// `openssl req -x509` as `NAME.pem` and `NAME.key`.
func selfSignedCertificate(in directory: TempDirectory, name: String, commonName: String = "localhost") throws
    -> (cert: String, key: String) {
    let (cert, key) = (directory.file(name + ".pem"), directory.file(name + ".key"))
    let (status, output) = try runToEnd(try requiredTool("/usr/bin/openssl"), [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        "-keyout", key, "-out", cert,
    ])
    #expect(status == 0, "openssl req -x509: \(output)")
    return (cert, key)
}

/// One request by curl: its exit status (0 when an HTTP answer came), the answer's status code, and its
/// header lines (or curl's error). URLSession on Linux is no use here: it waits forever on a 401 that asks
/// for Basic auth, for a delegate to answer the challenge.
func curl(_ url: String, _ options: [String] = []) throws -> (exit: Int32, status: Int, output: String) {
    let (exit, output) = try runToEnd(try requiredTool("/usr/bin/curl"), ["-sS", "--max-time", "10", "-D", "/dev/stdout", "-o", "/dev/null",
                                                        "-w", "%{http_code}"] + options + [url])
    let code = Int(output.suffix(3)) ?? 0
    return (exit, exit == 0 ? code : 0, output)
}
