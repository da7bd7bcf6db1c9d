/// A config value that may carry a credential: text as written, or `{file: PATH}` / `{env: VARIABLE}`. Outbound
/// headers (`headers:` of `http` actions and webhook channels) and the heartbeat's URLs take it.
///
/// A header whose value is such a reference is secret: its value is read only when the request is made, it is
/// dropped on a redirect to another origin (as `Authorization` always is), and it is never encoded, logged
/// or shown; the config names only where it comes from.
public enum TextOrSecret: Sendable, Equatable, Encodable, ExpressibleByStringLiteral {
    case text(String)
    case secret(SecretSource)

    public init(stringLiteral value: String) { self = .text(value) }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .text(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .secret(let source):
            try source.encode(to: encoder)
        }
    }

    /// The value: the text, or the secret read now.
    func resolve(environment: [String: String]) throws(SecretError) -> String {
        switch self {
        case .text(let text): text
        case .secret(let source): try source.resolve(environment: environment)
        }
    }

    /// Where the value comes from, for a message: the secret's source, never a value.
    var sourceDescription: String {
        switch self {
        case .text: "the text"
        case .secret(let source): source.description
        }
    }

    /// The same value with its secret's source changed (a relative file made absolute).
    func mapSecret(_ transform: (SecretSource) -> SecretSource) -> Self {
        guard case .secret(let source) = self else { return self }
        return .secret(transform(source))
    }
}

extension [String: TextOrSecret] {
    /// The headers as sent, secrets read, and the names of the secret ones, which must not follow a redirect to
    /// another origin. A secret that cannot be read is named by its source, never by a value.
    func resolved(environment: [String: String]) throws(SecretError) -> (headers: [String: String], secret: Set<String>) {
        var headers: [String: String] = [:]
        var secret: Set<String> = []
        for (name, value) in self {
            do { headers[name] = try value.resolve(environment: environment) } catch {
                throw SecretError(description: "header \(name): \(error.description)")
            }
            if case .secret = value { secret.insert(name) }
        }
        return (headers, secret)
    }
}
