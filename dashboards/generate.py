#!/usr/bin/env python3
"""Writes dashboards/warden.json, Warden's Grafana dashboard. Edit here, run it, commit both.

Every panel queries the `datasource` variable (so the same file imports through the UI and through file
provisioning), filters on the `instance` variable (one Warden per engine host; Prometheus's `instance` label)
and on the `engine` variable where the metric has one, wraps every counter in rate() or increase() over
$__rate_interval, and has a unit and a description. Two annotations mark engine restarts and health level
changes on every panel, for the same instances and engines.
"""
import json
import os

DS = {"type": "prometheus", "uid": "${datasource}"}
panels = []
y = 0
next_id = 1


def row(title):
    global y, next_id
    if any(p["gridPos"]["y"] == y and p["type"] != "row" for p in panels):
        y += 8  # below the previous row's last line of panels
    panels.append({"type": "row", "title": title, "id": next_id, "collapsed": False,
                   "gridPos": {"h": 1, "w": 24, "x": 0, "y": y}, "panels": []})
    next_id += 1
    y += 1


def panel(title, description, unit, targets, width=8, kind="timeseries", height=8, x=None, extra=None, second=None):
    """`second`: the unit of target B, drawn on a right-hand axis."""
    global y, next_id
    used = sum(p["gridPos"]["w"] for p in panels if p["gridPos"]["y"] == y and p["type"] != "row")
    if used + width > 24:
        y += height
        used = 0
    spec = {
        "type": kind, "title": title, "description": description, "id": next_id, "datasource": DS,
        "gridPos": {"h": height, "w": width, "x": used, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "desc"}},
        # Engine names repeat across hosts: every legend starts with the instance.
        "targets": [{"datasource": DS, "refId": chr(65 + i), "expr": expr,
                     "legendFormat": legend if legend.startswith("{{instance}}") else "{{instance}} " + legend}
                    for i, (expr, legend) in enumerate(targets)],
    }
    if extra:
        spec["fieldConfig"]["defaults"].update(extra)
    if second:
        spec["fieldConfig"]["overrides"].append({
            "matcher": {"id": "byFrameRefID", "options": "B"},
            "properties": [{"id": "unit", "value": second}, {"id": "custom.axisPlacement", "value": "right"}]})
    panels.append(spec)
    next_id += 1


I = 'instance=~"$instance"'
E = f'{I},engine=~"$engine"'
levels = {"mappings": [{"type": "value", "options": {
    "0": {"text": "HEALTHY", "color": "green"}, "1": {"text": "DEGRADED", "color": "yellow"},
    "2": {"text": "UNHEALTHY", "color": "orange"}, "3": {"text": "CRITICAL", "color": "red"}}}],
    "min": 0, "max": 3, "thresholds": {"mode": "absolute", "steps": [
        {"color": "green", "value": None}, {"color": "yellow", "value": 1}, {"color": "orange", "value": 2},
        {"color": "red", "value": 3}]}, "color": {"mode": "thresholds"}}

row("Overall health")
panel("Engine level", "Each engine's level, its worst component (0 HEALTHY, 1 DEGRADED, 2 UNHEALTHY, 3 CRITICAL).",
      "none", [(f"warden_engine_health_level{{{E}}}", "{{engine}}")], width=6, kind="stat", extra=levels)
panel("Level per component", "Each component's level after hysteresis, over time: when it changed and for how long.",
      "none", [(f"warden_health_level{{{E}}}", "{{engine}} {{component}}")], width=12, kind="state-timeline", extra=levels)
panel("Transitions", "Level changes per component and level moved to, in the interval.", "short",
      [(f"sum by (instance, engine, component, to) (increase(warden_health_transitions_total{{{E}}}[$__rate_interval]))",
        "{{engine}} {{component}} → {{to}}")], width=6)

row("Process")
panel("Up", "1 while the engine process runs; maintenance is 1 while a person has it in maintenance (no remediation, no level alerts).",
      "none", [(f"warden_engine_up{{{E}}}", "{{engine}}"),
               (f"warden_engine_maintenance{{{E}}}", "{{engine}} in maintenance")], width=6)
panel("Restarts by reason", "Restarts per second by reason: exit, signal, health (policies), remediation (Alertmanager), manual.",
      "ops", [(f"sum by (instance, engine, reason) (rate(warden_engine_restarts_total{{{E}}}[$__rate_interval]))", "{{engine}} {{reason}}")], width=6)
panel("Backoff", "Seconds until the next start attempt; 0 while running.", "s",
      [(f"warden_engine_restart_backoff_seconds{{{E}}}", "{{engine}}")], width=6)
panel("Restart budget left", "Automatic restarts left in the budget window; at 0 Warden stops restarting and a human is needed.",
      "short", [(f"warden_engine_restart_budget_remaining{{{E}}}", "{{engine}}"),
                (f"warden_engine_gave_up{{{E}}}", "{{engine}} gave up")], width=6)

row("Trading state")
panel("State as expected", "1 while the state the engine reports (running) is one a states check expects; 0 while it is stopped or paused.",
      "none", [(f"warden_engine_state_expected{{{E}}}", "{{engine}} {{state}}")], width=12)
panel("Counted events", "What each rates check counts (exchange warnings, retries), per minute.", "short",
      [(f"sum by (instance, engine, rate) (rate(warden_rate_events_total{{{E}}}[$__rate_interval])) * 60", "{{engine}} {{rate}}/min")],
      width=12)

row("Positions")
panel("Open and monitored", "Open positions in the engine's database and positions it says it monitors: they differ when monitoring is lost.", "short",
      [(f"warden_open_positions{{{E}}}", "{{engine}} open"), (f"warden_monitored_positions{{{E}}}", "{{engine}} monitored")])
panel("Mismatch and overdue", "abs(open − monitored), and positions past their planned close.", "short",
      [(f"warden_monitor_mismatch{{{E}}}", "{{engine}} mismatch"), (f"warden_overdue_positions{{{E}}}", "{{engine}} overdue")])
panel("Oldest overdue and unprotected", "How far past due the oldest overdue position is; positions without a stop on the right axis.",
      "s", [(f"warden_overdue_max_age_seconds{{{E}}}", "{{engine}} overdue age"),
            (f"warden_unprotected_positions{{{E}}}", "{{engine}} unprotected")], second="short")

row("Locks")
panel("Held and stale", "Take-profit lock rows held now, and held past their expiry.", "short",
      [(f"warden_locks_held{{{E}}}", "{{engine}} held"), (f"warden_locks_stale{{{E}}}", "{{engine}} stale")])
panel("Longest hold", "How long the oldest lock row has been held.", "s",
      [(f"warden_lock_max_hold_seconds{{{E}}}", "{{engine}}")])
panel("Contention", "Lock outcomes other than success per second: busy, recently_executed: two loops racing for one lock.", "ops",
      [(f"sum by (instance, engine, result) (rate(warden_lock_contention_total{{{E}}}[$__rate_interval]))", "{{engine}} {{result}}")])

row("Market data")
panel("WebSocket lag", "Seconds since each stream's last message or pong.", "s",
      [(f"warden_websocket_lag_seconds{{{E}}}", "{{engine}} {{stream}}")], width=6)
panel("Reconnects", "WebSocket reconnects per second, per stream.", "ops",
      [(f"sum by (instance, engine, stream) (rate(warden_websocket_reconnects_total{{{E}}}[$__rate_interval]))", "{{engine}} {{stream}}")], width=6)
panel("PnL sources", "Worst disagreement between PnL sources, and whether each source delivers (1) or not (0), on the right axis.",
      "percentunit", [(f"warden_pnl_source_deviation_ratio{{{E}}}", "{{engine}} deviation"),
                      (f"warden_pnl_source_up{{{E}}}", "{{engine}} {{source}} up")], width=6, second="none")
panel("Decision age", "Seconds since the engine last decided: a silent loop grows it.", "s",
      [(f"warden_decision_age_seconds{{{E}}}", "{{engine}}")], width=6)

row("Resources")
panel("CPU", "CPU of the engine's whole process tree, in cores.", "short",
      [(f"rate(warden_engine_cpu_seconds_total{{{E}}}[$__rate_interval])", "{{engine}}")], width=4)
panel("Memory share", "Resident memory of the tree over the host's (or cgroup's) memory (UNHEALTHY at 85% by default).", "percentunit",
      [(f"warden_engine_memory_usage_ratio{{{E}}}", "{{engine}}")], width=5)
panel("Resident memory", "Resident memory of the engine's whole process tree.", "bytes",
      [(f"warden_engine_resident_memory_bytes{{{E}}}", "{{engine}}")], width=5)
panel("Threads and descriptors", "Threads and open file descriptors of the tree.", "short",
      [(f"warden_engine_threads{{{E}}}", "{{engine}} threads"), (f"warden_engine_open_fds{{{E}}}", "{{engine}} fds")], width=5)
panel("Connections against the limit", "Connections of the tree to each endpoint and the endpoint's limit.", "short",
      [(f"warden_engine_connections{{{E}}}", "{{engine}} {{endpoint}}"),
       (f"warden_engine_connection_limit{{{E}}}", "{{engine}} {{endpoint}} limit")], width=5)

row("Warden itself")
panel("Remediations", "Remediation actions per second by action and result.", "ops",
      [(f"sum by (instance, engine, action, result) (rate(warden_remediations_total{{{E}}}[$__rate_interval]))",
        "{{engine}} {{action}} {{result}}")], width=6)
panel("Alert queue", "Events waiting in the outbox per channel.", "short",
      [(f"warden_alert_queue_depth{{{I}}}", "{{instance}} {{channel}}")], width=6)
panel("Alert results", "Alert deliveries per second by channel and result.", "ops",
      [(f"sum by (instance, channel, result) (rate(warden_alerts_total{{{I}}}[$__rate_interval]))",
        "{{instance}} {{channel}} {{result}}")], width=6)
panel("Alert delivery latency", "95th percentile from the event to its acknowledged delivery.", "s",
      [(f"histogram_quantile(0.95, sum by (instance, channel, le) "
        f"(rate(warden_alert_delivery_latency_seconds_bucket{{{I}}}[$__rate_interval])))",
        "{{instance}} {{channel}} p95")], width=6)


def annotation(name, color, expr, title, text, tags):
    """A Prometheus annotation evaluated every minute over the minute before: each event is marked once."""
    return {"name": name, "datasource": DS, "enable": True, "hide": False, "iconColor": color,
            "expr": expr, "step": "1m", "titleFormat": title, "textFormat": text, "tagKeys": tags,
            "useValueForTime": False}


annotations = [
    annotation("Engine restarts", "orange",
               f"sum by (instance, engine, reason) (increase(warden_engine_restarts_total{{{E}}}[1m])) > 0",
               "Restart of {{engine}}", "{{instance}}: {{engine}} restarted ({{reason}})", "instance,engine,reason"),
    annotation("Health changes", "purple", f"changes(warden_health_level{{{E}}}[1m]) > 0",
               "{{engine}} {{component}} changed level", "{{instance}}: {{engine}} {{component}} changed level",
               "instance,engine,component"),
]

dashboard = {
    "uid": "warden", "title": "Warden", "description": "Trading engines supervised by Warden: health, process, positions, locks, market data, resources, and Warden itself.",
    "tags": ["warden", "trading"], "timezone": "browser", "schemaVersion": 39, "version": 1, "editable": True,
    "refresh": "30s", "time": {"from": "now-6h", "to": "now"}, "graphTooltip": 1,
    "templating": {"list": [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus", "current": {},
         "hide": 0, "refresh": 1, "regex": "", "options": []},
        {"name": "instance", "label": "Instance", "type": "query", "datasource": DS,
         "query": {"query": "label_values(warden_build_info, instance)", "refId": "instances"},
         "definition": "label_values(warden_build_info, instance)", "multi": True, "includeAll": True,
         "allValue": ".*", "current": {}, "refresh": 2, "sort": 1, "hide": 0, "options": []},
        {"name": "engine", "label": "Engine", "type": "query", "datasource": DS,
         "query": {"query": f"label_values(warden_engine_up{{{I}}}, engine)", "refId": "engines"},
         "definition": f"label_values(warden_engine_up{{{I}}}, engine)", "multi": True, "includeAll": True,
         "allValue": ".*", "current": {}, "refresh": 2, "sort": 1, "hide": 0, "options": []},
    ]},
    "annotations": {"list": annotations},
    "panels": panels,
}
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "warden.json")
with open(path, "w") as f:
    json.dump(dashboard, f, indent=2, ensure_ascii=False)
    f.write("\n")
