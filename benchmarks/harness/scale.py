"""5. Scale: Warden's check cycle against 1,000 / 10,000 / 100,000 open positions, and Warden supervising 1, 4
and 16 demo engines: probe time, scrape time, memory and CPU."""
import re
import time

from .agents import bench, demo_engine_entry, start_warden
from .common import Figures, cpu_seconds, http_request, memory, scrape, wait_until
from .report import Section, table

DURATION = re.compile(r'^warden_probe_duration_seconds\{engine="([^"]+)",probe="([^"]+)"\} (\S+)$', re.M)


def probe_durations(port):
    """(engine, probe) → the last run's duration in ms, from Warden's own /metrics."""
    text = http_request(port, "/metrics")[1].decode()
    return {(engine, probe): float(value) * 1000 for engine, probe, value in DURATION.findall(text)}


def engines_row(ctx, count, window):
    directory = ctx.directory(f"scale-{count}")
    entries = "".join(demo_engine_entry(f"demo{index}", ctx.directory(f"scale-{count}/engine{index}"), "5s")[0]
                      for index in range(count))
    warden = start_warden(ctx.directory(f"scale-{count}/warden"), entries)
    try:
        wait_until(lambda: {engine for engine, _ in probe_durations(warden.port)} >= {f"demo{i}" for i in range(count)},
                   60, f"every one of {count} engines probed")
        time.sleep(10)
        rss, durations = [], {"db": [], "status": []}
        cpu_before, started = cpu_seconds(warden.pid), time.time()
        while time.time() - started < window:
            rss.append(memory(warden.pid)["rss"] / 1e6)
            for (_, probe), milliseconds in probe_durations(warden.port).items():
                if probe in durations:
                    durations[probe].append(milliseconds)
            time.sleep(5)
        cpu = (cpu_seconds(warden.pid) - cpu_before) / (time.time() - started) * 100
        scrapes, size, _ = scrape(warden, ctx.scaled(200))
    finally:
        warden.stop()
        ctx.sweep(directory)
    scraped, sqlite, status = Figures(scrapes), Figures(durations["db"]), Figures(durations["status"])
    return [count, f"{sqlite.median:.2f}", f"{sqlite.p(95):.2f}", f"{status.median:.2f}", f"{scraped.median:.2f}",
            f"{scraped.p(99):.2f}", size, f"{Figures(rss).median:.1f}", f"{cpu:.2f}"]


def run(ctx):
    window = ctx.seconds(30)
    section = Section("5. Scale", """
**Open positions.** One check cycle = Warden's SQLite probe running every positions and locks query (open,
overdue, unprotected, lock rows, contention) on a fresh read-only connection, plus the checks' computation
(`warden-bench checks`). The database has the demo engine's schemas, as many closed as open positions, a tenth
overdue, a twentieth without stops, and no index beyond the primary keys and `status`. Target: a
cycle under 100 ms at 100,000 positions.""")
    header, rows = table(bench("checks", *(["1000", "10000"] if ctx.quick else [])))
    section.table(header, rows)
    for row in rows:
        if row[0] == "100000":
            section.verdict("a check cycle under 100 ms at 100,000 open positions", f"{row[1]} ms",
                            float(row[1]) < 100)
    section.note(f"""
**Engines.** One Warden supervising 1, 4 and 16 demo engines, each with the demo's config (an HTTP probe,
a SQLite probe, a heartbeat file, log rules and every check, every 5 s). Over {window} s after the first
probes: the SQLite and HTTP probes' durations as Warden reports them (`warden_probe_duration_seconds`, all
engines), then {ctx.scaled(200)} scrapes of `/metrics`; Warden's RSS and CPU. Nothing else runs meanwhile
but the engines themselves, which share the same two cores.""")
    rows = [engines_row(ctx, count, window) for count in ([1, 4] if ctx.quick else [1, 4, 16])]
    section.table(["engines", "SQLite probe median (ms)", "SQLite probe p95 (ms)", "HTTP probe median (ms)",
                   "scrape p50 (ms)", "scrape p99 (ms)", "bytes per scrape", "RSS (MB)", "CPU (% of a core)"], rows)
    section.note("**Log rules.** Lines through the line splitter and five typical rules (`warden-bench rules`); "
                 "target: keep up with 50,000 lines/s.")
    header, rows = table(bench("rules"))
    section.table(header, rows)
    throughput = float(rows[0][1].split()[0])
    section.verdict("log rules keep up with 50,000 lines/s", f"{throughput:,.0f} lines/s", throughput >= 50_000)
    return section

