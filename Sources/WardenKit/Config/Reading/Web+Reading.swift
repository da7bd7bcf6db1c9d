extension ConfigFile.Web {
    static func read(_ map: MappingReader) -> Self {
        var web = Self()
        web.location = map.location
        web.tls = map[CodingKeys.tls]?.readMapping(TLS.read)
        if let users = map[CodingKeys.basicAuthUsers] {
            for (name, hash) in users.stringPairs() ?? [] {
                if name.contains(":") {
                    users.fail("user name \"\(name)\" contains ':', which HTTP Basic auth cannot carry")
                } else if !Self.isBcryptHash(hash) {
                    // Names the user, never the value: it may be a password written by mistake.
                    users.fail("the value for user \"\(name)\" is not a bcrypt hash ($2b$ with a cost of 4 to 31 and 53 more "
                               + "characters, as `htpasswd -nbBC 10 USER PASSWORD` prints after the colon); plain passwords are not accepted")
                } else {
                    web.basicAuthUsers[name] = hash
                }
            }
        }
        web.publicReads = map[CodingKeys.publicReads]?.bool() ?? web.publicReads
        return web
    }

    /// `$2a$`, `$2b$` or `$2y$`, a two-digit cost of 4 to 31, `$`, then 22 characters of salt and 31 of hash in
    /// bcrypt's base64 alphabet.
    static func isBcryptHash(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 60, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
              bytes[6] == UInt8(ascii: "$"), let cost = Int(String(decoding: bytes[4..<6], as: UTF8.self)), (4...31).contains(cost)
        else { return false }
        let alphabet = Set("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        return bytes[7...].allSatisfy(alphabet.contains)
    }
}

extension ConfigFile.Web.TLS {
    static func read(_ map: MappingReader) -> Self? {
        let cert = map.required(CodingKeys.certFile)?.string()
        let key = map.required(CodingKeys.keyFile)?.string()
        let clientCA = map[CodingKeys.clientCAFile]?.string()
        guard let cert, let key else { return nil }
        var tls = Self(certFile: cert, keyFile: key, clientCAFile: clientCA)
        tls.location = map.location
        return tls
    }
}
