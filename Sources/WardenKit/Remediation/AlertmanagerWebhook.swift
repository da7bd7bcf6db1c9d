/// One alert of an Alertmanager webhook notification (payload version 4), as Warden needs it.
public struct ReceivedAlert: Sendable, Equatable {
    public var status: String
    public var labels: [String: String]
    public var annotations: [String: String]
    public var startsAt: String
    public var fingerprint: String

    public var alertname: String { labels["alertname"] ?? "" }
    public var isResolved: Bool { status == "resolved" }

    /// Alertmanager delivers at least once: the same alert, start and status is one delivery.
    public var deliveryKey: String { "\(fingerprint)|\(startsAt)|\(status)" }
}

/// Reads Alertmanager's webhook payload (version 4). Problems are named by JSON pointer, like pushed reports.
public enum AlertmanagerWebhook {
    public static func parse(_ document: JSONValue) throws(PushedReport.Invalid) -> [ReceivedAlert] {
        func invalid(_ field: String, _ message: String) -> PushedReport.Invalid { .init(field: field, message: message) }
        guard case .object(let top) = document else { throw invalid("", "expected a JSON object") }
        guard case .string(let version)? = top["version"] else { throw invalid("/version", "missing: expected \"4\"") }
        guard version == "4" else { throw invalid("/version", "unsupported version \"\(version)\": Warden reads version 4") }
        guard case .array(let items)? = top["alerts"] else { throw invalid("/alerts", "missing: expected a list of alerts") }
        return try items.enumerated().map { (index, item) throws(PushedReport.Invalid) -> ReceivedAlert in
            let path = "/alerts/\(index)"
            guard case .object(let alert) = item else { throw invalid(path, "expected an object") }
            guard case .string(let status)? = alert["status"], ["firing", "resolved"].contains(status) else {
                throw invalid(path + "/status", "expected \"firing\" or \"resolved\"")
            }
            let labels = try strings(alert["labels"], path + "/labels")
            guard let name = labels["alertname"], !name.isEmpty else {
                throw invalid(path + "/labels/alertname", "missing: every alert has an alertname")
            }
            guard case .string(let startsAt)? = alert["startsAt"], !startsAt.isEmpty else {
                throw invalid(path + "/startsAt", "missing: expected an RFC 3339 time")
            }
            let annotations = alert["annotations"] == nil ? [:] : try strings(alert["annotations"], path + "/annotations")
            let fingerprint: String
            switch alert["fingerprint"] {
            case .string(let text)?: fingerprint = text
            case nil: fingerprint = labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            default: throw invalid(path + "/fingerprint", "expected a string")
            }
            return ReceivedAlert(status: status, labels: labels, annotations: annotations, startsAt: startsAt,
                                 fingerprint: fingerprint)
        }
    }

    private static func strings(_ value: JSONValue?, _ path: String) throws(PushedReport.Invalid) -> [String: String] {
        guard case .object(let object)? = value else { throw PushedReport.Invalid(field: path, message: "expected an object of strings") }
        var result: [String: String] = [:]
        for (key, value) in object {
            guard case .string(let text) = value else {
                throw PushedReport.Invalid(field: path + "/" + JSONPointer.token(key), message: "expected a string")
            }
            result[key] = text
        }
        return result
    }
}
