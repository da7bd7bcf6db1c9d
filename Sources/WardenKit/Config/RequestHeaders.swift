import Foundation

/// `basic_auth: {username, password: {file|env}}` or `bearer_token: {file|env}`: how an outbound request (an
/// `http` probe or action) proves who it is. The secret part is always a reference, never inline text, and
/// becomes an `Authorization` header when the request is made.
public enum Credentials: Sendable, Equatable {
    case basic(username: String, password: SecretSource)
    case bearer(SecretSource)

    /// The `Authorization` value, secrets read now.
    func authorization(environment: [String: String]) throws(SecretError) -> String {
        switch self {
        case .basic(let username, let password):
            let pair = "\(username):\(try password.resolve(environment: environment))"
            return "Basic " + Data(pair.utf8).base64EncodedString()
        case .bearer(let token):
            return "Bearer " + (try token.resolve(environment: environment))
        }
    }

    func mapSecret(_ transform: (SecretSource) -> SecretSource) -> Self {
        switch self {
        case .basic(let username, let password): .basic(username: username, password: transform(password))
        case .bearer(let token): .bearer(transform(token))
        }
    }
}

/// The headers an outbound request carries beyond its own: the config's `headers` and its credentials. Secret
/// values are read at each request, so a rotated token file takes effect without a reload; the credentials'
/// `Authorization` and every secret header are dropped on a redirect to another origin.
public struct RequestHeaders: Sendable, Equatable {
    public var headers: [String: TextOrSecret]
    public var credentials: Credentials?

    public init(headers: [String: TextOrSecret] = [:], credentials: Credentials? = nil) {
        self.headers = headers
        self.credentials = credentials
    }

    /// The headers as sent and the names of the secret ones. A secret that cannot be read is named by its
    /// source, never by a value.
    func resolved(environment: [String: String]) throws(SecretError) -> (headers: [String: String], secret: Set<String>) {
        var (resolved, secret) = try headers.resolved(environment: environment)
        if let credentials {
            do { resolved["Authorization"] = try credentials.authorization(environment: environment) } catch {
                throw SecretError(description: "credentials: \(error.description)")
            }
            secret.insert("Authorization")
        }
        return (resolved, secret)
    }

    /// The same headers with every secret's source changed (a relative file made absolute).
    func mapSecrets(_ transform: (SecretSource) -> SecretSource) -> Self {
        RequestHeaders(headers: headers.mapValues { $0.mapSecret(transform) }, credentials: credentials?.mapSecret(transform))
    }
}

extension ConfigFile {
    /// Coding keys of the credentials of a request, shared by `http` probes and actions.
    enum CredentialsKeys: String, CodingKey { case basicAuth = "basic_auth", bearerToken = "bearer_token", username, password }

    /// Writes `credentials` as the keys they were read from, beside the request's other keys.
    static func encode(_ credentials: Credentials?, to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CredentialsKeys.self)
        switch credentials {
        case .basic(let username, let password)?:
            var basic = container.nestedContainer(keyedBy: CredentialsKeys.self, forKey: .basicAuth)
            try basic.encode(username, forKey: .username)
            try basic.encode(password, forKey: .password)
        case .bearer(let token)?:
            try container.encode(token, forKey: .bearerToken)
        case nil:
            break
        }
    }
}
