import Foundation

/// How alert events read in each channel. Pure: events in, text out.
public enum AlertFormat {
    /// Telegram's limit for one message's text.
    public static let telegramLimit = 4096
    static let truncatedMarker = "\n… [truncated]"

    /// One line per event, for logs: `host-1 demo positions HEALTHY → UNHEALTHY: monitor mismatch 6 (…)`.
    public static func plain(_ event: AlertEvent, instance: String? = nil) -> String {
        var words: [String] = []
        if let instance { words.append(instance) }
        if let engine = event.engine { words.append(engine) }
        if let component = event.component { words.append(component) }
        switch event.kind {
        case .transition: words.append("\(event.from?.name ?? "?") → \(event.level.name)")
        case .reminder: words.append("still \(event.level.name)")
        case .remediation: words.append("remediation")
        case .restart: words.append("restarted")
        case .maintenance: words.append("maintenance")
        case .warden: words.append("Warden")
        case .test: words.append("test")
        }
        var text = words.joined(separator: " ") + ": " + event.reason
        if let action = event.action { text += "; " + action }
        if let result = event.result { text += " (\(result))" }
        return text
    }

    /// Telegram's HTML parse mode: `<`, `>`, `&` and `"` escaped; one block per event, newest last; cut at
    /// `telegramLimit` UTF-16 units with a marker, never inside an entity, a tag or a character.
    public static func telegramHTML(_ events: [AlertEvent], instance: String? = nil) -> String {
        var text = ""
        let room = telegramLimit - truncatedMarker.utf16.count
        for (index, event) in events.enumerated() {
            let block = (index > 0 ? "\n\n" : "") + telegramBlock(event, instance: instance)
            if text.utf16.count + block.utf16.count <= room {
                text += block
                continue
            }
            // Whole tags and entities only: what no longer fits goes as plain text, cut between characters.
            text += cutEscaped((index > 0 ? "\n\n" : "") + plain(event, instance: instance), room: room - text.utf16.count)
            return text + truncatedMarker
        }
        return text
    }

    private static func telegramBlock(_ event: AlertEvent, instance: String?) -> String {
        let icon = switch event.level {
        case .healthy: "✅"
        case .degraded: "🟡"
        case .unhealthy: "🟠"
        case .critical: "🔴"
        }
        var title = [instance, event.engine, event.component].compactMap { $0 }.joined(separator: " · ")
        switch event.kind {
        case .transition: title += " \(event.from?.name ?? "?") → \(event.level.name)"
        case .reminder: title += " still \(event.level.name)"
        case .remediation: title += " remediation"
        case .restart: title += " restarted"
        case .maintenance: title += " maintenance"
        case .warden: title = "Warden " + title
        case .test: title = "Warden test message " + title
        }
        var lines = ["\(icon) <b>\(escape(title.trimmingCharacters(in: .whitespaces)))</b>", escape(event.reason)]
        if let action = event.action {
            lines.append("Action: " + escape(action) + (event.result.map { " (" + escape($0) + ")" } ?? ""))
        }
        lines.append("<i>" + escape(timestamp(event.at)) + "</i>")
        return lines.joined(separator: "\n")
    }

    /// `text` escaped, cut to `room` UTF-16 units of escaped output at a character boundary.
    private static func cutEscaped(_ text: String, room: Int) -> String {
        var out = ""
        var used = 0
        for character in text {
            let piece = escape(String(character))
            let size = piece.utf16.count
            if used + size > room { break }
            out += piece
            used += size
        }
        return out
    }

    /// The four characters Telegram's HTML mode requires escaped (`"` for attribute safety).
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    static func timestamp(_ time: Double) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}
