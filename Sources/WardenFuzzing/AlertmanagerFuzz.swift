import Foundation
import WardenKit

/// An Alertmanager webhook notification, as `POST /api/v1/alertmanager` takes it: parsed, then each alert read
/// the way the receiver reads it.
enum AlertmanagerFuzz {
    static func run(_ bytes: [UInt8]) -> FuzzVerdict {
        readingJSON(bytes) { document in
            do throws(PushedReport.Invalid) {
                let alerts = try AlertmanagerWebhook.parse(document)
                for alert in alerts {
                    promise(!alert.alertname.isEmpty, "an accepted alert without an alertname")
                }
                return .accepted
            } catch {
                promise(JSONPointer(error.field) != nil, "not a JSON pointer: \(error.field)")
                return .rejected("\(error.field): \(error.message)")
            }
        }
    }
}
