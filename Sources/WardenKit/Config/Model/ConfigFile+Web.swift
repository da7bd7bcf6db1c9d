extension ConfigFile {
    /// `web:`: who may read Warden's HTTP surface and over what, in the shape of Prometheus' exporter-toolkit
    /// web config (`tls_server_config` and `basic_auth_users`), so that a scrape job's `basic_auth` and
    /// `tls_config` fit it as they fit any exporter.
    public struct Web: Sendable, Equatable, Encodable {
        /// HTTPS instead of HTTP on `listen`; none: plain HTTP.
        public var tls: TLS?
        /// User names to bcrypt hashes (`$2a$`, `$2b$` or `$2y$`). Empty: reads are open to whoever reaches
        /// `listen`.
        @SortedByName public var basicAuthUsers: [String: String] = [:]
        /// Allows a listener off loopback with neither TLS nor users: metrics and status readable by anyone
        /// who reaches it, said on purpose.
        public var publicReads = false
        var location = ConfigLocation()

        enum CodingKeys: String, CodingKey {
            case tls, basicAuthUsers = "basic_auth_users", publicReads = "public_reads"
        }

        public init() {}

        /// Whether a listener off loopback is guarded (or said to be open on purpose).
        var guardsTheNetwork: Bool { tls != nil || !basicAuthUsers.isEmpty || publicReads }

        /// `{cert_file, key_file, client_ca_file?}`: PEM files, relative to the config file's directory.
        public struct TLS: Sendable, Equatable, Encodable {
            /// The server's certificate chain, leaf first.
            public var certFile: String
            public var keyFile: String
            /// When set, clients must present a certificate this CA (bundle) signed.
            public var clientCAFile: String?
            var location = ConfigLocation()

            enum CodingKeys: String, CodingKey {
                case certFile = "cert_file", keyFile = "key_file", clientCAFile = "client_ca_file"
            }

            public init(certFile: String, keyFile: String, clientCAFile: String? = nil) {
                self.certFile = certFile
                self.keyFile = keyFile
                self.clientCAFile = clientCAFile
            }
        }
    }
}
