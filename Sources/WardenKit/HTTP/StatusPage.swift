import Foundation

/// `GET /`: the page a trader glances at, from a phone in bed as from a desk. Server-rendered HTML with its
/// style inline and no external asset (it works offline and on a locked-down host); a few lines of plain
/// JavaScript refresh it and drive the restart buttons. Everything from the engine or the config is escaped.
/// Pure: the status document in, HTML out.
public enum StatusPage {
    public static let colors: [HealthLevel: String] = [
        .healthy: "#1a7f37", .degraded: "#9a6700", .unhealthy: "#bc4c00", .critical: "#cf222e",
    ]

    public struct Input: Sendable {
        public var document: StatusDocument
        /// Each engine's last hour of key values.
        public var trends: [String: [TrendPoint]]
        /// The latest alert deliveries and dead letters, newest first.
        public var alerts: [AlertStats.Recent]

        public init(document: StatusDocument, trends: [String: [TrendPoint]], alerts: [AlertStats.Recent]) {
            self.document = document
            self.trends = trends
            self.alerts = alerts
        }
    }

    public static func render(_ input: Input) -> String {
        let document = input.document
        let now = document.time
        var html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(document.level.name)) · \(escape(document.instance.map { $0 + " · " } ?? ""))Warden</title>
            <style>\(style)</style></head><body>
            <header><h1>Warden\(escape(document.instance.map { " · " + $0 } ?? ""))</h1>\(badge(document.level))
            <span class="muted">\(escape(WardenVersion.current)) · \(escape(AlertFormat.timestamp(now)))</span></header>

            """
        for engine in document.engines {
            html += engineSection(engine, trend: input.trends[engine.name] ?? [], now: now)
        }
        html += alertSection(document.alerts ?? [:], recent: input.alerts, now: now)
        html += "<footer class=\"muted\">Refreshes every 10 s. JSON: <a href=\"api/v1/status\">/api/v1/status</a> · "
            + "<a href=\"metrics\">/metrics</a></footer>\n<script>\(script)</script></body></html>\n"
        return html
    }

    private static func engineSection(_ engine: StatusDocument.Engine, trend: [TrendPoint], now: Double) -> String {
        let name = escape(engine.name)
        var state = escape(engine.state.replacingOccurrences(of: "_", with: " "))
        if engine.state == "backoff" { state += " (\(escape(duration(engine.backoffSeconds))) left)" }
        var facts = ["state <b>\(state)</b>"]
        if let pid = engine.pid { facts.append("pid \(pid)") }
        if let attachment = engine.attachment {
            facts.append("attached by \(escape(attachment.how)), restarted by "
                         + (attachment.restartedBy.map { "<code>\(escape($0))</code>" } ?? "nobody: Warden only watches"))
        }
        if let uptime = engine.uptimeSeconds { facts.append("up \(escape(duration(uptime)))") }
        facts.append("restarts in the window \(engine.budget.used), budget left \(engine.budget.remaining) of \(engine.budget.max)")
        var html = """
            <section class="engine" data-engine="\(name)" data-level="\(engine.health.level.name)">
            <h2>\(badge(engine.health.level)) \(name)</h2>
            <p>\(facts.joined(separator: " · "))</p>

            """
        if engine.needsHuman {
            html += "<p class=\"alarm\">A human is needed: \(escape(humanReason(engine)))</p>\n"
        }
        if let maintenance = engine.maintenance {
            let end = maintenance.until.map { "until \(AlertFormat.timestamp($0))" } ?? "until ended"
            html += "<p class=\"maintenance\">In maintenance since \(escape(AlertFormat.timestamp(maintenance.since))), "
                + "\(escape(end)): \(escape(maintenance.reason)). No remediation, no level alerts; held back so far: "
                + "\(maintenance.heldBackAlerts) alerts, \(maintenance.heldBackActions) actions.</p>\n"
        }
        html += "<button data-restart=\"\(name)\">Restart \(name)</button>\n"
        html += sparklines(trend)
        html += "<table><thead><tr><th>component</th><th>level</th><th>value · threshold</th><th>since</th></tr></thead><tbody>\n"
        // Worst first: what needs a look is at the top of a phone's screen.
        let components = engine.health.components.sorted { ($0.value.level, $1.key) > ($1.value.level, $0.key) }
        for (component, state) in components {
            html += "<tr data-component=\"\(escape(component))\" data-level=\"\(state.level.name)\"><td>\(escape(component))</td>"
                + "<td>\(badge(state.level))</td><td>\(escape(state.reason ?? ""))</td>"
                + "<td>\(escape(ago(state.since, now: now)))"
                + (state.cause.map { "<div class=\"muted\">set by \(escape($0.reason))</div>" } ?? "") + "</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += list("Last transitions", engine.health.recentTransitions.prefix(8).map { transition in
            "\(badge(transition.to)) \(escape(transition.component)) \(escape(transition.from.name)) → \(escape(transition.to.name)): "
                + "\(escape(transition.reason)) <span class=\"muted\">\(escape(ago(transition.at, now: now)))</span>"
        })
        html += list("Remediations", engine.remediation.recent.prefix(8).map { entry in
            "<b>\(escape(entry.action))</b> \(escape(entry.summary)): \(escape(entry.result?.rawValue ?? "running"))"
                + (entry.detail.map { " · " + escape($0) } ?? "")
                + " <span class=\"muted\">\(escape(entry.source)) · \(escape(ago(entry.startedAt, now: now)))</span>"
        })
        return html + "</section>\n"
    }

    private static func humanReason(_ engine: StatusDocument.Engine) -> String {
        if engine.state == "gave_up" { return "the restart budget is spent; restart it by hand once the cause is fixed" }
        return "remediation gave up: " + engine.remediation.exhausted.joined(separator: ", ")
    }

    private static func alertSection(_ channels: [String: StatusDocument.AlertChannel], recent: [AlertStats.Recent],
                                     now: Double) -> String {
        var html = "<section><h2>Alerts</h2><p>"
        html += channels.sorted(by: { $0.key < $1.key }).map { name, channel in
            "<b>\(escape(name))</b> queued \(channel.queued) · delivered \(channel.delivered) · dead \(channel.deadLetters)"
                + (channel.lastError.map { " · <span class=\"alarm\">\(escape($0))</span>" } ?? "")
        }.joined(separator: "<br>")
        html += "</p>\n"
        html += list("Latest", recent.prefix(10).map { alert in
            "\(escape(alert.result)) via \(escape(alert.channel)): \(escape(alert.text)) "
                + "<span class=\"muted\">\(escape(ago(alert.at, now: now)))</span>"
        })
        return html + "</section>\n"
    }

    private static func list(_ title: String, _ items: [String]) -> String {
        guard !items.isEmpty else { return "" }
        return "<h3>\(escape(title))</h3><ul>" + items.map { "<li>\($0)</li>" }.joined() + "</ul>\n"
    }

    /// Four small inline SVG lines of the last hour; a gap where a value was not measured.
    static func sparklines(_ trend: [TrendPoint]) -> String {
        let series: [(String, KeyPath<TrendPoint, Double?>, (Double) -> String)] = [
            ("decision age", \.decisionAge, { HealthCheck.decisionAge.format($0) }),
            ("WebSocket lag", \.websocketLag, { HealthCheck.websocketLag.format($0) }),
            ("memory", \.memoryRatio, { HealthCheck.memoryRatio.format($0) }),
            ("mismatch", \.mismatch, { HealthCheck.monitorMismatch.format($0) }),
        ]
        var html = "<div class=\"sparks\">"
        for (title, path, format) in series {
            let values = trend.compactMap { point in point[keyPath: path].map { (point.at, $0) } }
            guard let last = values.last else { continue }
            html += "<figure><figcaption>\(escape(title)) <b>\(escape(format(last.1)))</b></figcaption>"
                + svg(values, from: trend.first?.at ?? last.0, to: trend.last?.at ?? last.0) + "</figure>"
        }
        return html + "</div>\n"
    }

    private static func svg(_ values: [(Double, Double)], from start: Double, to end: Double) -> String {
        let width = 120.0, height = 28.0
        let top = max(values.map(\.1).max() ?? 1, 1e-9)
        let span = max(end - start, 1)
        let points = values.map { at, value in
            String(format: "%.1f,%.1f", (at - start) / span * width, height - 2 - value / top * (height - 4))
        }.joined(separator: " ")
        return "<svg viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"120\" height=\"28\" role=\"img\">"
            + "<polyline fill=\"none\" stroke=\"currentColor\" stroke-width=\"1.5\" points=\"\(points)\"/></svg>"
    }

    static func badge(_ level: HealthLevel) -> String {
        "<span class=\"level\" style=\"background:\(colors[level]!)\">\(level.name)</span>"
    }

    /// Text and attribute values: what Telegram's HTML mode escapes, and `'` for single-quoted attributes.
    public static func escape(_ text: String) -> String {
        AlertFormat.escape(text).replacingOccurrences(of: "'", with: "&#39;")
    }

    private static func duration(_ seconds: Double) -> String { Units.formatDuration(.seconds(Int(seconds.rounded()))) }

    private static func ago(_ time: Double, now: Double) -> String { duration(max(0, now - time)) + " ago" }

    static let style = """
        body{font:15px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:960px;padding:12px;color:#1f2328;background:#fff}
        header{display:flex;flex-wrap:wrap;gap:8px;align-items:center}h1{font-size:20px;margin:0}
        .level{color:#fff;border-radius:4px;padding:1px 6px;font-size:12px;font-weight:600;letter-spacing:.02em}
        .muted{color:#656d76;font-size:13px}.alarm{color:#cf222e;font-weight:600}.maintenance{color:#6639ba;font-weight:600}
        section{border:1px solid #d0d7de;border-radius:8px;padding:8px 12px;margin:12px 0}
        h2{font-size:17px;margin:4px 0}h3{font-size:14px;margin:8px 0 4px}
        table{border-collapse:collapse;width:100%;font-size:14px}td,th{text-align:left;padding:3px 6px;border-top:1px solid #eaeef2;vertical-align:top}
        ul{padding-left:18px;margin:4px 0;font-size:14px}
        .sparks{display:flex;flex-wrap:wrap;gap:10px;color:#0969da}figure{margin:0}figcaption{font-size:12px;color:#656d76}
        button{font:inherit;padding:4px 10px;border-radius:6px;border:1px solid #d0d7de;background:#f6f8fa}
        @media (max-width:600px){td:nth-child(4),th:nth-child(4){display:none}body{padding:8px}}
        """

    /// Refresh every 10 s unless the user is restarting an engine; the token is asked for, never stored.
    static let script = """
        let timer=setTimeout(()=>location.reload(),10000);
        document.querySelectorAll('button[data-restart]').forEach(b=>b.addEventListener('click',async()=>{
          clearTimeout(timer);const name=b.dataset.restart;
          const token=prompt('Admin token to restart '+name);
          if(token){const r=await fetch('api/v1/engines/'+encodeURIComponent(name)+'/restart',{method:'POST',headers:{Authorization:'Bearer '+token}});
            alert(r.status===202?'Restart requested':'Refused ('+r.status+')');}
          location.reload();}));
        """
}
