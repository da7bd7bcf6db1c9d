"""7. Config reload: how long Warden takes to apply a changed config with 16 demo engines running, and how long
supervisord takes to apply the same kind of change to 16 programs (`supervisorctl update`)."""
import json
import os
import subprocess
import time

from .agents import demo_engine_argv, demo_engine_entry, start_warden
from .common import Figures, Process, http_request, ratio, wait_until, write
from .report import Section

TOKEN = "benchmark-reload-token"


def warden_reload(warden):
    """POST /-/reload; seconds until the answer, and whether it applied."""
    started = time.monotonic()
    status, body = http_request(warden.port, "/-/reload", method="POST", headers={"Authorization": f"Bearer {TOKEN}"},
                                timeout=120)
    took = time.monotonic() - started
    answer = json.loads(body)
    if status != 200 or not answer.get("applied"):
        raise RuntimeError(f"reload refused: {body[:500]}")
    return took


def warden_pid(warden, engine):
    status = json.loads(http_request(warden.port, "/api/v1/status")[1])
    return next((e.get("pid") for e in status["engines"] if e["name"] == engine), None)


def engines(ctx):
    """16 engines; 4 with --quick, which only checks that the harness works."""
    return 4 if ctx.quick else 16


def warden_figures(ctx, rounds):
    count = engines(ctx)
    directory = ctx.directory("reload-warden")
    entries = [demo_engine_entry(f"demo{index}", ctx.directory(f"reload-warden/engine{index}"), "5s")[0]
               for index in range(count)]
    extra = "admin_token: {env: WARDEN_BENCH_TOKEN}\n"
    warden = start_warden(directory, "".join(entries), extra=extra, env={"WARDEN_BENCH_TOKEN": TOKEN})
    config = os.path.join(directory, "warden.yml")
    text = open(config).read()
    figures = {"same": [], "watching": [], "relaunch": [], "relaunch-running": []}
    try:
        wait_until(lambda: all(warden_pid(warden, f"demo{i}") for i in range(count)), 60, "every engine running")
        time.sleep(5)
        for index in range(rounds):
            figures["same"].append(warden_reload(warden))
            # Every engine's judging changes (its sampling interval): all probe loops and judges are replaced.
            changed = text.replace("sampling_interval: 5s", f"sampling_interval: {2 + index % 2}s")
            write(directory, "warden.yml", changed)
            figures["watching"].append(warden_reload(warden))
            # One engine's environment changes: that engine restarts gracefully into it.
            before = warden_pid(warden, "demo0")
            # demo0 is the first entry, so the first `env: {}` is its.
            relaunched = changed.replace("    env: {}\n", f'    env: {{ROUND: "{index}"}}\n', 1)
            write(directory, "warden.yml", relaunched)
            started = time.monotonic()
            figures["relaunch"].append(warden_reload(warden))
            wait_until(lambda: warden_pid(warden, "demo0") not in (None, before), 60, "demo0 restarted")
            figures["relaunch-running"].append(time.monotonic() - started)
            write(directory, "warden.yml", text)
            warden_reload(warden)
            time.sleep(1)
    finally:
        warden.stop()
        ctx.sweep(directory)
    return {key: Figures(values) for key, values in figures.items()}


def supervisord_figures(ctx, rounds):
    count = engines(ctx)
    """supervisord with 16 programs (the demo engine each); `supervisorctl update` after a program's
    environment changed restarts that program."""
    directory = ctx.directory("reload-supervisord")
    socket = os.path.join(directory, "supervisor.sock")
    # Fixed per program across rounds, so that only the changed environment differs between files.
    argvs = [demo_engine_argv(ctx.directory(f"reload-supervisord/engine{index}")) for index in range(count)]

    def conf(round_mark):
        programs = []
        for index in range(count):
            engine = ctx.directory(f"reload-supervisord/engine{index}")
            environment = f"\nenvironment=ROUND=\"{round_mark}\"" if index == 0 and round_mark is not None else ""
            programs.append(f"""[program:demo{index}]
command={" ".join(argvs[index])}
directory={engine}
autorestart=true
stopasgroup=true
killasgroup=true
stopwaitsecs=10{environment}
""")
        return write(directory, "supervisord.conf", f"""[supervisord]
nodaemon=true
logfile={directory}/supervisord.log
pidfile={directory}/supervisord.pid
childlogdir={directory}
loglevel=warn

[unix_http_server]
file={socket}

[supervisorctl]
serverurl=unix://{socket}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

""" + "\n".join(programs))

    config = conf(None)
    process = Process(["supervisord", "-c", config], os.path.join(directory, "supervisord.out"))

    def ctl(*arguments):
        return subprocess.run(["supervisorctl", "-c", config, *arguments], capture_output=True, text=True, timeout=120)

    def pid(name):
        out = ctl("pid", name).stdout.strip()
        return int(out) if out.isdigit() and int(out) > 0 else None

    figures = {"same": [], "relaunch": [], "relaunch-running": []}
    try:
        wait_until(lambda: all(pid(f"demo{i}") for i in range(count)), 60, "every supervisord program running")
        time.sleep(5)
        for index in range(rounds):
            started = time.monotonic()
            ctl("update")
            figures["same"].append(time.monotonic() - started)
            before = pid("demo0")
            conf(index)
            started = time.monotonic()
            ctl("update")
            figures["relaunch"].append(time.monotonic() - started)
            wait_until(lambda: pid("demo0") not in (None, before), 60, "demo0 restarted by supervisord")
            figures["relaunch-running"].append(time.monotonic() - started)
            conf(None)
            ctl("update")
            time.sleep(1)
    finally:
        process.stop()
        ctx.sweep(directory)
    return {key: Figures(values) for key, values in figures.items()}


def run(ctx):
    rounds = ctx.scaled(10)
    warden = warden_figures(ctx, rounds)
    supervisord = supervisord_figures(ctx, rounds)
    section = Section("7. Config reload", f"""
{engines(ctx)} demo engines run under Warden (every probe, check and policy of `warden demo`, probes every 5 s) and
under supervisord (the same engines as programs). The figure is the time from asking for a reload to its
answer: Warden's `POST /-/reload` (the whole file validated, then applied), supervisord's `supervisorctl
update` (which re-reads its file and restarts the programs that changed). "Unchanged" reloads the same file;
"every engine's watching" changes every Warden engine's `sampling_interval`, which replaces all probe loops
and judges without restarting any engine (supervisord has no such layer); "one engine's environment" changes one
engine's environment, which restarts that engine alone under both, and "... running" is the time until its new
process runs. {rounds} rounds each.""")
    section.table(["change", "agent", "median (s)", "p95 (s)", "min–max (s)", "Warden / supervisord"], [
        ["unchanged", "Warden", *warden["same"].cells(3), ratio(warden["same"], supervisord["same"])],
        ["unchanged", "supervisord", *supervisord["same"].cells(3), ""],
        ["every engine's watching", "Warden", *warden["watching"].cells(3), "–"],
        ["one engine's environment", "Warden", *warden["relaunch"].cells(3),
         ratio(warden["relaunch"], supervisord["relaunch"])],
        ["one engine's environment", "supervisord", *supervisord["relaunch"].cells(3), ""],
        ["... its new process running", "Warden", *warden["relaunch-running"].cells(3),
         ratio(warden["relaunch-running"], supervisord["relaunch-running"])],
        ["... its new process running", "supervisord", *supervisord["relaunch-running"].cells(3), ""],
    ])
    return section
