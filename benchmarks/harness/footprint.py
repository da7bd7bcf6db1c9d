"""4. Footprint: each agent's steady memory and CPU while doing its job around the demo engine."""
import os
import time

from .agents import (demo_engine_argv, demo_engine_entry, start_monit, start_node_exporter, start_process_exporter,
                     start_supervisord, start_warden, wardens)
from .common import Figures, Process, cpu_seconds, http_request, memory, ratio, ratios, tag, write
from .report import Section

WARM_UP = 10
SCRAPE_EVERY = 5
# What a second Warden build is compared on: (name, key in the samples, unit, decimals).
MEASURES = [("RSS", "rss", "MB", 1), ("PSS", "pss", "MB", 1), ("RssAnon", "anon", "MB", 1),
            ("private", "private", "MB", 1), ("CPU", "cpu", "% of a core", 2)]


def run(ctx):
    window = ctx.seconds(30)
    engines = []

    def standalone_engine(directory):
        process = Process(demo_engine_argv(directory), os.path.join(directory, "engine.log"), cwd=directory)
        engines.append(process)
        return process

    def warden(build):
        """Starts `build`'s warden around that build's own demo engine."""
        def start(directory):
            return start_warden(directory, demo_engine_entry("demo", directory, interval="5s", build=build)[0],
                                build=build)
        return start

    def supervisord(directory):
        return start_supervisord(directory, demo_engine_argv(directory))

    def monit(directory):
        # What a monit user writes for a bot: keep it running, restart it when its status endpoint stops answering
        # or its memory grows.
        argv = demo_engine_argv(directory)
        port = argv[argv.index("--listen") + 1].split(":")[1]
        write(directory, "start.sh", f"cd {directory}\nsetsid {' '.join(argv)} >engine.log 2>&1 &\necho $! > engine.pid\n")
        return start_monit(directory, f"""check process engine with pidfile {directory}/engine.pid
    start program = "/bin/sh {directory}/start.sh"
    stop program = "/bin/sh -c 'kill $(cat {directory}/engine.pid)'"
    if failed host 127.0.0.1 port {port} protocol http request /status then restart
    if totalmem > 500 MB then restart
""", cycle=5)

    def process_exporter(directory):
        standalone_engine(directory)
        return start_process_exporter(directory, "warden-demo-engine")

    def node_exporter(directory):
        return start_node_exporter(directory)

    builds = wardens()
    contestants = [(build.label, warden(build)) for build in builds] + [
        ("supervisord", supervisord), ("monit", monit), ("process-exporter", process_exporter),
        ("node_exporter", node_exporter)]
    samples = {name: {"rss": [], "pss": [], "anon": [], "private": [], "cpu": []} for name, _ in contestants}
    for index in range(2):
        for name, start in contestants:
            directory = ctx.directory(f"footprint-{tag(name)}-{index}")
            agent = start(directory)
            try:
                time.sleep(WARM_UP)
                cpu_before, started, last_scrape = cpu_seconds(agent.pid), time.time(), 0
                while time.time() - started < window:
                    if agent.port and time.time() - last_scrape >= SCRAPE_EVERY:
                        http_request(agent.port, "/metrics")
                        last_scrape = time.time()
                    for key, value in memory(agent.pid).items():
                        samples[name][key].append(value / 1e6)
                    time.sleep(1)
                samples[name]["cpu"].append((cpu_seconds(agent.pid) - cpu_before) / (time.time() - started) * 100)
            finally:
                agent.stop()
                for engine in engines:
                    engine.stop()
                engines.clear()
                ctx.sweep(directory)

    section = Section("4. Footprint", f"""
Each agent alone, doing its job around the demo engine, for {window} s after a {WARM_UP} s warm-up, in two
alternating rounds. Warden: the demo's config (every probe and check every 5 s, policies, log rules) and a
scrape every {SCRAPE_EVERY} s. supervisord: the engine as one program. monit: `set daemon 5`, the engine's
pidfile, its status endpoint checked over HTTP and its memory. process-exporter: watching the engine, scraped
every {SCRAPE_EVERY} s. node_exporter: scraped every {SCRAPE_EVERY} s. Only the agent's own process is measured,
never the engine: RSS (what `ps` and most dashboards show), PSS (shared library pages divided among the
processes that map them), RssAnon (heap and stacks) and private memory (USS: every page no other process
maps, text included), sampled every second; CPU is user plus system time over the window. Targets: Warden's
RSS at most process-exporter's and below supervisord's; CPU under 1% of a core.""")
    figures = {name: {key: Figures(values) for key, values in samples[name].items()} for name, _ in contestants}
    rss_figures = {name: figures[name]["rss"] for name, _ in contestants}
    rows = []
    for name, _ in contestants:
        rss, pss, anon, private, cpu = (figures[name][key] for key in ("rss", "pss", "anon", "private", "cpu"))
        rows.append([name, *rss.cells(1), f"{pss.median:.1f}", f"{anon.median:.1f}", f"{private.median:.1f}",
                     f"{cpu.median:.2f}", *ratios(builds, rss_figures, name)])
    rss = {name: figures[name]["rss"].median for name, _ in contestants}
    cpu = figures["Warden"]["cpu"].median
    section.verdict("Warden's RSS at most process-exporter's", f"{rss['Warden']:.1f} MB against {rss['process-exporter']:.1f} MB",
                    rss["Warden"] <= rss["process-exporter"])
    section.verdict("Warden's RSS below supervisord's", f"{rss['Warden']:.1f} MB against {rss['supervisord']:.1f} MB",
                    rss["Warden"] < rss["supervisord"])
    section.verdict("Warden's CPU under 1% of a core", f"{cpu:.2f}%", cpu < 1)
    section.table(["agent", "RSS median (MB)", "RSS p95 (MB)", "RSS min–max (MB)", "PSS (MB)", "RssAnon (MB)",
                   "private (MB)", "CPU (% of a core)", *(f"{build.label} RSS / this" for build in builds)], rows)
    release = figures[builds[0].label]
    for build in builds[1:]:  # what another build costs, measure by measure, against the release build
        other = figures[build.label]
        section.note(f"{build.label}, around its own build of the demo engine, against {builds[0].label} (medians): "
                     + "; ".join(f"{what} {other[key].median:.{digits}f} against {release[key].median:.{digits}f} "
                                 f"{unit} (×{ratio(other[key], release[key])})"
                                 for what, key, unit, digits in MEASURES) + ".")
    return section
