"""Warden and its peers, each started the way its users would run it, in a temporary directory, on loopback.

Every `start_*` returns a ready `Agent` (its HTTP port answers, or its config was accepted), whose process is
the one measured: Warden's own process, supervisord's Python process, monit's, each exporter's."""
import os
import subprocess

from . import common
from .common import Process, free_port, wait_http, wait_until, write


class Agent:
    def __init__(self, name, process, port=None, directory=None):
        self.name = name
        self.process = process
        self.port = port
        self.directory = directory

    @property
    def pid(self):
        return self.process.pid

    def stop(self):
        self.process.stop()


class Build:
    """A Warden build under test: the label its rows carry, the directory of its `warden` and `warden-demo-engine`,
    and what kind of build it is (for the report's header)."""

    def __init__(self, label, directory, kind):
        self.label = label
        self.directory = directory
        self.kind = kind

    def binary(self, name):
        return os.path.join(self.directory, name)


def wardens():
    """The Warden builds measured side by side, in the order of their rows: the release build under test, then
    the statically linked one when there is one (`benchmarks/run --static-dir`). Footprint, respawn and scrape
    take their Warden rows from this list; the other comparisons measure the release build alone."""
    builds = [Build("Warden", common.RELEASE, "release build")]
    if common.STATIC_RELEASE:
        where = os.path.relpath(common.STATIC_RELEASE, common.ROOT)
        builds.append(Build("Warden (static)", common.STATIC_RELEASE, f"release build, --static-swift-stdlib, {where}"))
    return builds


def binary(name):
    """A product of the release build under test (`benchmarks/run --release-dir` picks another build)."""
    return wardens()[0].binary(name)


def bench(*arguments):
    """`warden-bench` (Sources/warden-bench) with these arguments: its standard output."""
    return subprocess.run([binary("warden-bench"), *arguments], capture_output=True, text=True, timeout=900,
                          check=True).stdout.strip()


def demo_engine_entry(name, directory, interval="5s", soak=False, build=None):
    """The demo engine as `warden demo` wires it (every probe, check and policy), from warden-bench, so the
    benchmark measures the config users see rather than a copy of it; `soak` raises its budgets for an hour of
    dense faults. The engine is `build`'s (the release build's by default). Returns (yaml, engine port)."""
    engine_port, broker_port = free_port(), free_port()
    os.makedirs(directory, exist_ok=True)
    yaml = subprocess.run([binary("warden-bench"), "demo-config", name, directory, str(engine_port),
                           str(broker_port), interval] + (["soak"] if soak else []),
                          capture_output=True, text=True, check=True).stdout
    # warden-bench names the engine beside itself, in the release build: another build (a static one has no
    # warden-bench) runs its own engine, so that it is measured with what it would be shipped with.
    release_engine = binary("warden-demo-engine")
    if release_engine not in yaml:
        raise RuntimeError(f"warden-bench demo-config no longer names {release_engine}:\n{yaml}")
    return yaml.replace(release_engine, (build or wardens()[0]).binary("warden-demo-engine")), engine_port


def demo_engine_argv(directory):
    return [binary("warden-demo-engine"), "--db", f"{directory}/engine.sqlite", "--listen",
            f"127.0.0.1:{free_port()}", "--broker-port", str(free_port())]


def start_warden(directory, engines_yaml, extra="", name="warden", env=None, build=None):
    """`build`'s warden (the release build's by default) running this config."""
    port = free_port()
    config = write(directory, "warden.yml",
                   f"listen: 127.0.0.1:{port}\nstate_dir: {directory}/state\n{extra}engines:\n{engines_yaml}")
    process = Process([(build or wardens()[0]).binary("warden"), "run", "--config", config],
                      os.path.join(directory, "warden.log"),
                      env={**os.environ, **(env or {})})
    wait_http(port, "/readyz", what=f"warden ready (log: {process.log_path})")
    return Agent(name, process, port, directory)


def start_supervisord(directory, argv, startsecs=1):
    """supervisord in the foreground with one program that is restarted whenever it exits."""
    command = " ".join(argv)
    config = write(directory, "supervisord.conf", f"""[supervisord]
nodaemon=true
logfile={directory}/supervisord.log
pidfile={directory}/supervisord.pid
childlogdir={directory}
loglevel=warn

[program:child]
command={command}
directory={directory}
startsecs={startsecs}
startretries=1000
autorestart=true
stopasgroup=true
killasgroup=true
""")
    process = Process(["supervisord", "-c", config], os.path.join(directory, "supervisord.out"))
    wait_until(lambda: os.path.exists(f"{directory}/supervisord.pid"), 20, "supervisord started")
    return Agent("supervisord", process, directory=directory)


def start_monit(directory, checks, cycle=1):
    """monit in the foreground (-I) polling every `cycle` seconds; `checks` is monitrc text."""
    config = write(directory, "monitrc", f"""set daemon {cycle}
set logfile {directory}/monit.log
set pidfile {directory}/monit.pid
set idfile {directory}/monit.id
set statefile {directory}/monit.state
{checks}
""", mode=0o600)
    subprocess.run(["monit", "-t", "-c", config], check=True, capture_output=True)
    process = Process(["monit", "-I", "-c", config], os.path.join(directory, "monit.out"))
    wait_until(lambda: os.path.exists(f"{directory}/monit.pid"), 20, "monit started")
    return Agent("monit", process, directory=directory)


def start_process_exporter(directory, executable_name):
    """process-exporter tracking every process whose name is `executable_name` (and its children)."""
    port = free_port()
    config = write(directory, "process-exporter.yml",
                   f"process_names:\n  - name: \"{{{{.Comm}}}}\"\n    comm: [\"{executable_name[:15]}\"]\n")
    process = Process(["prometheus-process-exporter", "-web.listen-address", f"127.0.0.1:{port}",
                       "-config.path", config], os.path.join(directory, "process-exporter.log"))
    wait_http(port, "/metrics", what="process-exporter ready")
    return Agent("process-exporter", process, port, directory)


def start_node_exporter(directory):
    """node_exporter with Debian's default collectors."""
    port = free_port()
    process = Process(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}"],
                      os.path.join(directory, "node-exporter.log"))
    wait_http(port, "/metrics", what="node_exporter ready")
    return Agent("node_exporter", process, port, directory)


def start_alertmanager(directory, webhook_url):
    """Alertmanager sending every alert at once (group_wait 0) to one webhook, resolved ones included."""
    port = free_port()
    config = write(directory, "alertmanager.yml", f"""route:
  receiver: hook
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs: [{{url: "{webhook_url}", send_resolved: true}}]
""")
    process = Process(["prometheus-alertmanager", f"--config.file={config}", f"--storage.path={directory}/am-data",
                       f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
                      os.path.join(directory, "alertmanager.log"))
    wait_http(port, "/-/ready", what="Alertmanager ready")
    return Agent("alertmanager", process, port, directory)


def start_prometheus(directory, target_port, alertmanager_port, rules):
    """Prometheus scraping one target and evaluating `rules` (YAML) every second."""
    port = free_port()
    rule_file = write(directory, "rules.yml", rules)
    config = write(directory, "prometheus.yml", f"""global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{rule_file}"]
alerting:
  alertmanagers: [{{static_configs: [{{targets: ["127.0.0.1:{alertmanager_port}"]}}]}}]
scrape_configs:
  - job_name: warden
    static_configs: [{{targets: ["127.0.0.1:{target_port}"]}}]
""")
    process = Process(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={directory}/prom-data",
                       f"--web.listen-address=127.0.0.1:{port}"], os.path.join(directory, "prometheus.log"))
    wait_http(port, "/-/ready", what="Prometheus ready")
    return Agent("prometheus", process, port, directory)


def version(argv):
    """First line a tool prints about its version (some print it on stderr)."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not installed"
    return ((result.stdout or result.stderr).strip().splitlines() or ["?"])[0]


def versions():
    return {
        **{build.label.lower(): f"{version([build.binary('warden'), 'version'])} ({build.kind})"
           for build in wardens()},
        "supervisord": version(["supervisord", "--version"]),
        "monit": version(["monit", "-V"]),
        "process-exporter": version(["prometheus-process-exporter", "-version"]),
        "node_exporter": version(["prometheus-node-exporter", "--version"]),
        "prometheus": version(["prometheus", "--version"]),
        "alertmanager": version(["prometheus-alertmanager", "--version"]),
    }
