#!/usr/bin/env python3
"""Writes alerts/warden.rules.yml, Warden's Prometheus alerting rules. Edit here, run it, commit both.

    alerts/generate.py [--job-selector 'job="warden"'] [--runbook-base URL] [--output PATH]

--job-selector  label matchers every metric selector of every rule carries (default `job="warden"`): the
                scrape job (or jobs, `job=~"warden|warden-eu"`) that reads Warden, so that the same metric
                names under another job (a federating Prometheus, a test job) do not fire Warden's alerts.
--runbook-base  the URL under which this repository's files are served (default https://warden.example/,
                a placeholder): every rule's runbook_url is <base>/docs/RUNBOOK.md#<alert name in lower case>.
--output        where to write (default warden.rules.yml beside this script).

The committed warden.rules.yml is this script's output with the defaults (a test reruns it and compares), and
warden.rules.test.yml tests that file with promtool. Every rule keeps Prometheus's `instance` label and names
the instance in its summary, so that people and Alertmanager tell one host's Warden from another's.
"""
import argparse
import json
import os
import re

DEFAULT_SELECTOR = 'job="warden"'
DEFAULT_RUNBOOK_BASE = "https://warden.example/"

HEADER = """\
# Prometheus alerting rules for Warden (https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/).
# Written by alerts/generate.py; edit the script, run it, commit both. Written with:
#   {parameters}
# Load with `rule_files: [warden.rules.yml]`; `promtool test rules warden.rules.test.yml` checks every rule.
#
# `severity` speaks Warden's levels: degraded, unhealthy, critical. Every rule keeps the `instance` label (the
# Warden, one per engine host) and the `engine` label (and `component`, `stream`, `endpoint` or `probe` where
# the metric has one), so Alertmanager can route on them and Warden's own receiver (POST /api/v1/alertmanager)
# knows which engine to act on. Engine names repeat across hosts: route remediations by `instance`.
#
# Most rules use the numbers of the incidents Warden is built around (docs/incidents.md), which are also
# Warden's default thresholds: change both together.
# WardenWebSocketStale, the one Alertmanager routes back to Warden for a restart, reads Warden's own judgement
# (`warden_health_level`, 0 HEALTHY … 3 CRITICAL) so that it follows the engine's configured threshold.
# Rules on a state have a `for:`; rules on increase() over a window fire at once: the window is their duration,
# and a spent restart budget is a fact that does not get truer by waiting.
groups:
"""

# (group, [rule]); a rule is (alert, expr, for or None, severity, summary, description, comment or None).
# In `expr`, {name} or {name|matchers} is the metric `name` with the job selector (and `matchers`) applied.
# A summary without {{ $labels.instance }} gets the instance in front of it.
GROUPS = [
    ("warden-agent", [
        ("WardenDown", "{up} == 0", "1m", "critical",
         "Warden at {{ $labels.instance }} is not being scraped",
         "Prometheus has not scraped Warden at {{ $labels.instance }} for a minute: nothing watches its engines, and no alert of Warden's own can be trusted.",
         None),
        ("WardenAlertsNotDelivered",
         '{warden_alert_queue_depth} > 0 and on(instance, channel) (increase({warden_alerts_total|result="delivered"}[10m]) == 0)',
         "5m", "degraded",
         "Warden's {{ $labels.channel }} alerts have not gone out for 15 minutes",
         "{{ $value }} alerts wait for channel {{ $labels.channel }} and none was delivered in 15 minutes; /api/v1/status shows the channel's last error.",
         None),
        ("WardenAlertsDeadLettered", 'increase({warden_alerts_total|result="failed"}[1h]) > 0', None, "degraded",
         "Warden gave up delivering alerts on {{ $labels.channel }}",
         '{{ $value | printf "%.0f" }} alerts went to the dead letters in the last hour (a permanent error, or older than max_age).',
         None),
        ("WardenConfigReloadFailed", "{warden_config_last_reload_successful} == 0", "5m", "degraded",
         "Warden's config file was refused at the last reload",
         "The last reload found problems in the config file; Warden runs with the config it had. `warden check-config` lists every problem with its line.",
         None),
    ]),
    ("warden-engines", [
        ("WardenEngineDown", "{warden_engine_up} == 0", "1m", "critical",
         "Engine {{ $labels.engine }} is not running",
         "The engine process of {{ $labels.engine }} has not been running for a minute.",
         None),
        ("WardenEngineFlapping",
         'sum by (instance, engine) (increase({warden_engine_restarts_total|reason=~"exit|signal|health"}[15m])) > 3',
         None, "unhealthy",
         'Engine {{ $labels.engine }} restarted {{ $value | printf "%.0f" }} times in 15 minutes',
         "Frequent restarts of {{ $labels.engine }}: each costs open monitoring tasks and connections; find the cause before the restart budget runs out.",
         "Restarts of its own accord or by Warden's health policies; not a person's or Alertmanager's."),
        ("WardenEngineGaveUp", "{warden_engine_gave_up} == 1", None, "critical",
         "Warden stopped restarting {{ $labels.engine }}: a human is needed",
         "The restart budget of {{ $labels.engine }} is spent. Restart it by hand (POST /api/v1/engines/{{ $labels.engine }}/restart) once the cause is fixed.",
         None),
        ("WardenEngineCritical", "{warden_engine_health_level} == 3", "1m", "critical",
         "Engine {{ $labels.engine }} is CRITICAL",
         "Warden rates {{ $labels.engine }} CRITICAL; /api/v1/status names the component, value and threshold.",
         None),
        ("WardenEngineMemoryHigh", "{warden_engine_memory_usage_ratio} > 0.85", "5m", "unhealthy",
         "Engine {{ $labels.engine }} uses {{ $value | humanizePercentage }} of memory",
         "A leak, most likely: the engine's tree holds more than 85% of the host's (or cgroup's) memory.",
         None),
        ("WardenProbeFailing", "{warden_probe_success} == 0", "5m", "degraded",
         "Probe {{ $labels.probe }} of {{ $labels.engine }} has failed for 5 minutes",
         "Warden cannot read this input; the checks fed by it expose nothing. /api/v1/status has the reason.",
         None),
        ("WardenRemediationFailing", 'increase({warden_remediations_total|result="failure"}[1h]) > 0', None, "degraded",
         "A {{ $labels.action }} remediation of {{ $labels.engine }} failed",
         '{{ $value | printf "%.0f" }} failed {{ $labels.action }} actions in the last hour; the audit in /api/v1/status says why.',
         None),
    ]),
    ("warden-trading", [
        ("WardenMonitorMismatch", "{warden_monitor_mismatch} > 0", "3m", "unhealthy",
         "{{ $value }} positions of {{ $labels.engine }} are not monitored",
         "Open positions in the database and live monitoring tasks disagree; positions may sit past their planned close.",
         None),
        ("WardenPositionsOverdue", "{warden_overdue_positions} > 0", "2m", "unhealthy",
         "{{ $value }} positions of {{ $labels.engine }} are past their planned close",
         "The oldest is {{ with printf \"warden_overdue_max_age_seconds{engine='%s',instance='%s'}\" $labels.engine $labels.instance | query }}{{ . | first | value | humanizeDuration }}{{ end }} overdue.",
         None),
        ("WardenUnprotectedPositions", "{warden_unprotected_positions} > 0", "1m", "critical",
         "{{ $value }} positions of {{ $labels.engine }} have no stop-loss or take-profit",
         "Nothing protects these positions. Warden cannot add stops; a person must.",
         None),
        ("WardenStaleLocks", "{warden_locks_stale} > 0", "2m", "unhealthy",
         "{{ $value }} take-profit locks of {{ $labels.engine }} are held past their expiry",
         "A holder died with its lock; that stage cannot execute until the lock is released.",
         None),
        ("WardenLockContention", "sum by (instance, engine) (rate({warden_lock_contention_total}[5m])) > 0", "10m", "degraded",
         "Two loops of {{ $labels.engine }} keep racing for the same take-profit",
         'Two loops keep racing for one lock: lock_busy or recently_executed outcomes for 10 minutes ({{ $value | printf "%.2f" }}/s).',
         None),
        ("WardenPnLSourcesDisagree", "{warden_pnl_source_deviation_ratio} > 0.03", "5m", "unhealthy",
         "PnL sources of {{ $labels.engine }} disagree by {{ $value | humanizePercentage }}",
         "Mark, last-trade and WebSocket prices give different PnL; one feed is wrong or stale.",
         None),
        ("WardenWebSocketStale", '{warden_health_level|component="websocket"} >= 2', "30s", "unhealthy",
         "Market data of {{ $labels.engine }} is stale",
         "The WebSocket has been quiet past its threshold. Routed to Warden, this restarts the engine.",
         "Warden's judgement, against the engine's websocket_lag threshold (60 s by default)."),
        ("WardenNoDecisions", "{warden_decision_age_seconds} > 300", "1m", "unhealthy",
         "Engine {{ $labels.engine }} has not decided for {{ $value | humanizeDuration }}",
         "The process looks alive but its main loop stopped deciding.",
         None),
        ("WardenConnectionsNearLimit",
         "{warden_engine_connections} == on(instance, engine, endpoint) ({warden_engine_connection_limit} - 1)",
         "1m", "degraded",
         "{{ $labels.engine }} holds {{ $value }} connections to {{ $labels.endpoint }}, one below its limit",
         "The broker refuses the next connection at the limit.",
         None),
        ("WardenConnectionsAtLimit",
         "{warden_engine_connections} >= on(instance, engine, endpoint) {warden_engine_connection_limit}",
         "1m", "unhealthy",
         "{{ $labels.engine }} is at its connection limit to {{ $labels.endpoint }}",
         "The broker refuses new connections ('connections limitation is hit'). Leaked connections of old processes are the usual cause.",
         None),
    ]),
]

INSTANCE = "{{ $labels.instance }}"


def expression(template, selector):
    """`template` with each {name} or {name|matchers} replaced by the metric selector."""
    def metric(match):
        matchers = ",".join(m for m in (selector, match.group(2)) if m)
        return f"{match.group(1)}{{{matchers}}}"
    return re.sub(r"\{([a-z_]+)(?:\|([^}]*))?\}", metric, template)


def scalar(text):
    """`text` as a YAML plain scalar where that reads the same, else double-quoted (JSON's escapes are YAML's)."""
    plain = (re.fullmatch(r"[A-Za-z_(][^\n]*", text) and ": " not in text and " #" not in text
             and not text.endswith(":"))
    return text if plain else json.dumps(text, ensure_ascii=False)


def rules_yaml(selector, runbook_base):
    if not runbook_base.startswith(("http://", "https://")):
        raise SystemExit(f"--runbook-base must be an http(s) URL, not {runbook_base!r}")
    runbook = runbook_base.rstrip("/") + "/docs/RUNBOOK.md"
    parameters = f"--job-selector '{selector}' --runbook-base {runbook_base}"
    lines = [HEADER.format(parameters=parameters).rstrip("\n")]
    for group, rules in GROUPS:
        lines += [f"  - name: {group}", "    rules:"]
        for index, (alert, expr, duration, severity, summary, description, comment) in enumerate(rules):
            if INSTANCE not in summary:
                summary = f"{INSTANCE}: {summary}"
            if index:
                lines.append("")
            lines.append(f"      - alert: {alert}")
            if comment:
                lines.append(f"        # {comment}")
            lines.append(f"        expr: {scalar(expression(expr, selector))}")
            if duration:
                lines.append(f"        for: {duration}")
            lines += [
                f"        labels: {{severity: {severity}}}",
                "        annotations:",
                f"          summary: {json.dumps(summary, ensure_ascii=False)}",
                f"          description: {json.dumps(description, ensure_ascii=False)}",
                f"          runbook_url: {json.dumps(runbook + '#' + alert.lower())}",
            ]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job-selector", default=DEFAULT_SELECTOR,
                        help=f"label matchers for every metric of every rule (default: {DEFAULT_SELECTOR})")
    parser.add_argument("--runbook-base", default=DEFAULT_RUNBOOK_BASE,
                        help="URL this repository's files are served under; runbook_url is "
                             f"<base>/docs/RUNBOOK.md#<alert> (default: {DEFAULT_RUNBOOK_BASE}, a placeholder)")
    parser.add_argument("--output", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "warden.rules.yml"),
                        help="the file to write (default: warden.rules.yml beside this script)")
    arguments = parser.parse_args()
    with open(arguments.output, "w", encoding="utf-8") as f:
        f.write(rules_yaml(arguments.job_selector.strip().strip("{}"), arguments.runbook_base))


if __name__ == "__main__":
    main()
