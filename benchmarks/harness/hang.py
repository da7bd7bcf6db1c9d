"""2. Hang detection: a child that stays alive but stops its heartbeat; from the last heartbeat to the exec
of its replacement, under Warden (a heartbeat file, or a heartbeat log rule) and monit (a file timestamp
check on its shortest cycle)."""
import os

from .agents import start_monit, start_warden
from .common import alternate, ratio, stamp_gaps, write
from .report import Section

BEAT_MS = 100
BEATS = 20          # two seconds of heartbeats (plus 0 to 9 more at random), then silence
THRESHOLD_S = 3     # the same staleness threshold for everyone
INTERVAL_S = 1      # Warden's probe and evaluation interval; monit's cycle


def gaps(stamps):
    """Seconds from each child's last heartbeat to the next child's exec."""
    return stamp_gaps(stamps, "silent", "start")


def warden_entry(argv, directory, source):
    """One engine whose silence is judged from `source`: "file" (heartbeat_file probe) or "log" (log rule)."""
    if source == "file":
        feed = f"""    probes:
      - {{name: beat, heartbeat_file: {{path: {directory}/heartbeat}}, interval: {INTERVAL_S}s}}
"""
        check, threshold = "heartbeat_age", "heartbeat_age"
    else:
        feed = """    log_rules:
      - {name: beat, match: "^BEAT ", kind: heartbeat}
    checks:
      decisions: {log_rule: beat}
"""
        check, threshold = "decision_age", "decision_age"
    return f"""  - name: hanger
    command: [{", ".join(f'"{a}"' for a in argv)}]
    restart: {{initial_backoff: 0s, budget: 1000, budget_window: 1h}}
{feed}    health:
      evaluate_every: {INTERVAL_S}s
      escalate_after: 1
      recover_after: 1
      startup_grace: 1s
      thresholds:
        {threshold}: {{unhealthy: {THRESHOLD_S}s}}
    remediation:
      policies:
        - name: restart-when-silent
          component: decisions
          checks: [{check}]
          cooldown: 0s
          budget: {{max: 1000, window: 1h}}
          ladder: [{{restart: {{}}, verify_after: 1}}]
"""


def run(ctx):
    per_round = max(2, ctx.scaled(10) // 2)

    def argv(directory):
        return [ctx.tool("hanger"), f"{directory}/stamps", f"{directory}/heartbeat", str(BEAT_MS), str(BEATS)]

    def warden_file(directory):
        return start_warden(directory, warden_entry(argv(directory), directory, "file"))

    def warden_log(directory):
        return start_warden(directory, warden_entry(argv(directory), directory, "log"))

    def monit(directory):
        # monit's fastest restart: the timestamp check runs a script that replaces the child itself, rather than
        # asking monit (over its HTTP interface) to restart the process check at its next cycle.
        command = " ".join(argv(directory))
        write(directory, "start.sh", f"setsid {command} >/dev/null 2>&1 &\necho $! > {directory}/hanger.pid\n")
        write(directory, "restart.sh", f"kill $(cat {directory}/hanger.pid)\n. {directory}/start.sh\n")
        return start_monit(directory, f"""check process hanger with pidfile {directory}/hanger.pid
    start program = "/bin/sh {directory}/start.sh"
    stop program = "/bin/sh -c 'kill $(cat {directory}/hanger.pid)'"
check file heartbeat with path {directory}/heartbeat
    if timestamp > {THRESHOLD_S} seconds then exec "/bin/sh {directory}/restart.sh"
""", cycle=INTERVAL_S)

    def trial(start, index):
        directory = ctx.directory(f"hang-{start.__name__}-{index}")
        stamps = os.path.join(directory, "stamps")
        ctx.watch(start(directory), directory, lambda: len(gaps(stamps)) >= per_round,
                  per_round * (BEATS * BEAT_MS / 1000 + THRESHOLD_S + 4) + 20)
        return gaps(stamps)[:per_round]

    figures = alternate(2, [("warden-file", warden_file), ("warden-log", warden_log), ("monit", monit)], trial)
    section = Section("2. Hang detection", f"""
A C child (`benchmarks/hanger.c`) touches a heartbeat file and prints `BEAT n` every {BEAT_MS} ms for
{BEATS * BEAT_MS / 1000:g} s plus a random 0 to 0.9 s (so that the silence starts at any phase of the watchers'
polling), then stays alive and silent. The figure is the time from its last heartbeat to the
exec of its replacement. Everyone is told the same: stale after {THRESHOLD_S} s, looked at every
{INTERVAL_S} s. Warden: a `heartbeat_file` probe (or a `kind: heartbeat` log rule on stdout) every
{INTERVAL_S} s, `health: {{evaluate_every: {INTERVAL_S}s, escalate_after: 1}}`, `heartbeat_age` (or
`decision_age`) UNHEALTHY at {THRESHOLD_S} s, and a policy whose ladder is one `restart`. monit: `set daemon
{INTERVAL_S}` (its shortest cycle), `check file … if timestamp > {THRESHOLD_S} seconds then exec` a script that
kills the child and starts a new one (monit's fastest way; `then restart` would wait for another cycle).
The floor for everyone is the {THRESHOLD_S} s threshold itself; the rest is detection and restart.""")
    monit_figures = figures["monit"]
    section.table(["agent", "median (s)", "p95 (s)", "min–max (s)", "hangs", "beyond the threshold (s)",
                   "Warden / monit"], [
        [label, *figures[key].cells(2), len(figures[key].values),
         f"{figures[key].median - THRESHOLD_S:.2f}" if figures[key] else "–",
         ratio(figures[key], monit_figures) if key != "monit" else ""]
        for label, key in [("Warden, heartbeat file", "warden-file"), ("Warden, log rule", "warden-log"),
                           ("monit", "monit")]
    ])
    if figures["warden-file"] and monit_figures:
        section.verdict("Warden sees a silent loop no later than monit (same threshold and interval)",
                        f"{figures['warden-file'].median:.2f} s against {monit_figures.median:.2f} s",
                        figures["warden-file"].median <= monit_figures.median)
    return section
