import Foundation

/// Converting `web:`: certificate and key files are found relative to the config and must be readable here; a
/// private key that every user can read is named in a warning.
extension ConfigResolver {
    func resolve(_ web: ConfigFile.Web) -> WebSettings {
        var settings = WebSettings(basicAuthUsers: web.basicAuthUsers)
        if let tls = web.tls {
            typealias Keys = ConfigFile.Web.TLS.CodingKeys
            func file(_ path: String, _ key: Keys) -> String {
                let absolute = Self.absolute(path, relativeTo: base)
                if !host.isReadableFile(absolute) {
                    issues.report("cannot read \(absolute)", at: tls.location, key: key.stringValue)
                }
                return absolute
            }
            let keyFile = file(tls.keyFile, .keyFile)
            warnIfReadableByEveryone(keyFile, holding: "private key file", at: tls.location, key: Keys.keyFile.stringValue)
            settings.tls = .init(certFile: file(tls.certFile, .certFile), keyFile: keyFile,
                                 clientCAFile: tls.clientCAFile.map { file($0, .clientCAFile) })
        }
        return settings
    }
}
