"""3. Scrape cost: /metrics of Warden supervising one engine, of process-exporter watching that engine, and of
node_exporter: latency, bytes and the exporter's own CPU time per 1,000 scrapes."""
from .agents import demo_engine_entry, start_node_exporter, start_process_exporter, start_warden, wardens
from .common import Figures, http_request, ratios, scrape, tag, wait_until
from .report import Section

BLOCK = 250


def run(ctx):
    total = ctx.scaled(2000)
    rounds = max(1, total // BLOCK)
    directory = ctx.directory("scrape")
    builds = wardens()
    agents = []
    try:
        for build in builds:  # each build supervises an engine of its own build
            entry = demo_engine_entry("demo", ctx.directory(f"scrape/{tag(build.label)}-engine"), interval="5s",
                                      build=build)[0]
            warden = start_warden(ctx.directory(f"scrape/{tag(build.label)}"), entry, name=build.label, build=build)
            agents.append(warden)
            wait_until(lambda: b"warden_probe_success" in http_request(warden.port, "/metrics")[1], 30,
                       f"{build.label}'s first probes")
        agents.append(start_process_exporter(ctx.directory("scrape/process-exporter"), "warden-demo-engine"))
        agents.append(start_node_exporter(ctx.directory("scrape/node-exporter")))
        for agent in agents:  # warm-up: connections, caches, the exporters' first collection
            scrape(agent, 20)
        results = {agent.name: ([], 0, 0.0) for agent in agents}
        for _ in range(rounds):
            for agent in agents:
                latencies, size, cpu = scrape(agent, min(BLOCK, total))
                previous = results[agent.name]
                results[agent.name] = (previous[0] + latencies, size, previous[2] + cpu)
    finally:
        for agent in agents:
            agent.stop()
        ctx.sweep(directory)

    figures = {name: Figures(values[0]) for name, values in results.items()}
    section = Section("3. Scrape cost", f"""
Warden supervises the demo engine with the demo's config (every probe and check, every 5 s).
process-exporter (`comm: [warden-demo-eng]`, children included) watches that same engine; node_exporter runs
Debian's default collectors. Each is scraped {rounds * min(BLOCK, total)} times over one keep-alive connection,
in blocks of {BLOCK} taken in turn (Warden, process-exporter, node_exporter, Warden, …), uncompressed text
format. CPU is the exporter's own user and system time during the scrapes (`/proc/PID/stat`). Target:
Warden's p50 no slower than process-exporter's.""")
    if len(builds) > 1:
        section.note(f"{', '.join(build.label for build in builds[1:])}: supervising an engine of its own build, "
                     "scraped in its own blocks in the same rotation; process-exporter then watches every engine "
                     "(one group, the same lines).")
    rows = []
    for name, (latencies, size, cpu) in results.items():
        f = figures[name]
        rows.append([name, f"{f.median:.3f}", f"{f.p(99):.3f}", f"{min(f.values):.3f}–{max(f.values):.3f}",
                     size, f"{cpu / len(latencies) * 1000:.2f}", *ratios(builds, figures, name)])
    section.table(["exporter", "p50 (ms)", "p99 (ms)", "min–max (ms)", "bytes per scrape",
                   "CPU s per 1,000 scrapes", *(f"{build.label} p50 / this" for build in builds)], rows)
    warden, peer = figures["Warden"], figures["process-exporter"]
    section.verdict("Warden's p50 no slower than process-exporter's", f"{warden.median:.2f} ms against {peer.median:.2f} ms",
                    warden.median <= peer.median)
    return section
