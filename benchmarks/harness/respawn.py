"""1. Crash to respawn: a child that exits 1 after 1.5 s, under Warden (initial backoff 0) and supervisord
(startsecs=1, autorestart=true); from the child's exit to the next child's exec."""
import os

from .agents import start_supervisord, start_warden, wardens
from .common import alternate, ratios, stamp_gaps, tag
from .report import Section

LIFETIME_MS = 1500


def gaps(stamps):
    """Milliseconds from each child's exit to the next child's exec."""
    return [gap * 1000 for gap in stamp_gaps(stamps, "exit", "start")]


def run(ctx):
    per_round = max(2, ctx.scaled(30) // 3)

    def warden(build):
        def start(directory, argv):
            return start_warden(directory, f"""  - name: crasher
    command: [{", ".join(f'"{a}"' for a in argv)}]
    restart: {{initial_backoff: 0s, budget: 1000, budget_window: 1h}}
""", build=build)
        return start

    def supervisord(directory, argv):
        return start_supervisord(directory, argv, startsecs=1)

    def trial(contestant, index):
        name, start = contestant
        directory = ctx.directory(f"respawn-{tag(name)}-{index}")
        stamps = os.path.join(directory, "stamps")
        agent = start(directory, [ctx.tool("crasher"), stamps, str(LIFETIME_MS)])
        ctx.watch(agent, directory, lambda: len(gaps(stamps)) >= per_round, per_round * (LIFETIME_MS / 1000 + 1.5) + 20)
        return gaps(stamps)[:per_round]

    builds = wardens()
    contestants = [(build.label, warden(build)) for build in builds] + [("supervisord", supervisord)]
    # `alternate` hands `trial` the contestant alone: each carries its name too, for the directory it runs in.
    figures = alternate(3, [(name, (name, start)) for name, start in contestants], trial)
    section = Section("1. Crash to respawn", f"""
A C child (`benchmarks/crasher.c`) stamps the time of its exec, lives {LIFETIME_MS} ms, stamps the time and
exits 1. The figure is the time from one child's exit stamp to the next child's exec stamp. Warden:
`restart: {{initial_backoff: 0s}}`. supervisord: `startsecs=1`, `autorestart=true`. Three alternating rounds.
Target: Warden's median at least 20× shorter than supervisord's.""")
    section.table(["agent", "median (ms)", "p95 (ms)", "min–max (ms)", "crashes",
                   *(f"{build.label} / peer" for build in builds)], [
        [name, *figures[name].cells(2 if name != "supervisord" else 1), len(figures[name].values),
         *ratios(builds, figures, name, 4)]
        for name, _ in contestants
    ])
    if figures["Warden"] and figures["supervisord"]:
        factor = figures["supervisord"].median / figures["Warden"].median
        section.verdict("Warden's median at least 20× shorter than supervisord's", f"{factor:.0f}× shorter", factor >= 20)
        section.note(f"Warden respawns {figures['supervisord'].median / figures['Warden'].median:.0f}× faster "
                     "(median). Warden waits for each child in a blocking waitpid on a thread of its own and "
                     "learns of the exit the instant it happens; supervisord finds it at its next pass of a "
                     "one-second select loop.")
    return section
