"""What every comparison shares: child processes that cannot outlive the harness, /proc readings, HTTP on
loopback, and the statistics each table reports."""
import atexit
import ctypes
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASE = os.path.join(ROOT, ".build", "release")
# A statically linked build measured beside RELEASE (`benchmarks/run --static-dir`); None: no such rows.
STATIC_RELEASE = None
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_PDEATHSIG = 1
_running = []


def _die_with_harness():
    """In the child before exec: its own process group (so a stop reaches its whole tree), and SIGKILL
    when the harness dies, so that an interrupted run leaves nothing behind."""
    os.setpgid(0, 0)
    _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class Process:
    """A child in its own process group, logged to a file, stopped (group and all) at exit whatever happens."""

    def __init__(self, argv, log_path, cwd=None, env=None):
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.popen = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      cwd=cwd, env=env, preexec_fn=_die_with_harness)
        self.pid = self.popen.pid
        _running.append(self)

    def alive(self):
        return self.popen.poll() is None

    def stop(self, grace=10):
        """SIGTERM to the group, SIGKILL after `grace` seconds; then whatever is left in the group."""
        if self.alive():
            try:
                os.killpg(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()
        self.log.close()
        if self in _running:
            _running.remove(self)

    def tail(self, characters=2000):
        with open(self.log_path, errors="replace") as f:
            return f.read()[-characters:]


@atexit.register
def _stop_everything():
    for process in list(_running):
        process.stop(grace=2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_request(port, path, method="GET", body=None, headers=None, timeout=5):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until(condition, timeout, what):
    """Polls `condition` every 50 ms; raises naming `what` when it stays false for `timeout` seconds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if condition():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what}: not within {timeout} s")


def wait_http(port, path, timeout=30, what=None):
    wait_until(lambda: http_request(port, path, timeout=1)[0] == 200, timeout, what or f"GET :{port}{path}")


def write(directory, name, text, mode=None):
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


# /proc readings of one process (not its children: each agent is measured alone, not what it supervises).

def _status_bytes(pid, field):
    with open(f"/proc/{pid}/status") as f:
        return next((int(line.split()[1]) * 1024 for line in f if line.startswith(field + ":")), 0)


def memory(pid):
    """RSS, PSS (shared pages divided among their users), RssAnon (the heap and stacks: memory only this process
    holds) and private (USS: every page no other process maps, its own text and data included; what stopping it
    would give back)."""
    with open(f"/proc/{pid}/smaps_rollup") as f:
        rollup = {line.split(":")[0]: int(line.split()[1]) * 1024 for line in f if line.split()[-1] == "kB"}
    return {"rss": _status_bytes(pid, "VmRSS"), "pss": rollup["Pss"], "anon": _status_bytes(pid, "RssAnon"),
            "private": rollup["Private_Clean"] + rollup["Private_Dirty"]}


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def scrape(agent, count):
    """`count` scrapes of `/metrics` over one keep-alive connection, as Prometheus does: (latencies in ms,
    bytes of the last answer, CPU seconds the agent spent meanwhile)."""
    connection = http.client.HTTPConnection("127.0.0.1", agent.port, timeout=10)
    headers = {"Accept": "text/plain;version=0.0.4"}
    latencies, size = [], 0
    cpu_before = cpu_seconds(agent.pid)
    for _ in range(count):
        started = time.perf_counter()
        connection.request("GET", "/metrics", headers=headers)
        size = len(connection.getresponse().read())
        latencies.append((time.perf_counter() - started) * 1000)
    cpu = cpu_seconds(agent.pid) - cpu_before
    connection.close()
    return latencies, size, cpu


def stamp_gaps(path, first, then):
    """Seconds from each `first` stamp to a `then` stamp right after it, in a file of `KIND UNIXTIME` lines
    written by the C children (benchmarks/*.c)."""
    if not os.path.exists(path):
        return []
    events = [line.split() for line in open(path) if line.strip()]
    return [float(b[1]) - float(a[1]) for a, b in zip(events, events[1:]) if a[0] == first and b[0] == then]


# Statistics: every figure is reported as a distribution, never one number.

def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


class Figures:
    """A sample of one measurement: median, p95 (or another tail), min and max."""

    def __init__(self, values):
        self.values = list(values)

    def __bool__(self):
        return bool(self.values)

    @property
    def median(self):
        return statistics.median(self.values)

    def p(self, q):
        return percentile(self.values, q)

    def cells(self, digits=1, tail=95):
        """Median, p-tail and min–max formatted for a table; dashes when nothing was measured."""
        if not self.values:
            return ["–", "–", "–"]
        f = f"{{:.{digits}f}}"
        return [f.format(self.median), f.format(self.p(tail)),
                f"{f.format(min(self.values))}–{f.format(max(self.values))}"]


def ratio(warden, peer, digits=2):
    """Warden / peer, the figure every comparison reports."""
    if not warden or not peer or peer.median == 0:
        return "–"
    value = warden.median / peer.median
    return f"{value:.{max(digits, 3) if value < 0.01 else digits}f}"


def ratios(builds, figures, row, digits=2):
    """A row's ratio cells, one column per Warden build measured (`agents.wardens()`): that build's median over
    the row's (`figures` holds Figures by row label), blank on the build's own row."""
    return ["" if build.label == row else ratio(figures[build.label], figures[row], digits) for build in builds]


def tag(label):
    """A row label as part of a file name: lower case, each run of other characters one dash ("Warden (static)"
    becomes "warden-static")."""
    return re.sub(r"[^a-z0-9_]+", "-", label.lower()).strip("-")


def alternate(rounds, contestants, trial):
    """Runs `trial(contestant, round)` for round 0..rounds-1 with the contestants in turn (A B A B), so that
    drift of the machine over the run hits every contestant alike; returns each contestant's samples."""
    samples = {name: [] for name, _ in contestants}
    for index in range(rounds):
        for name, contestant in contestants:
            samples[name].extend(trial(contestant, index))
    return {name: Figures(values) for name, values in samples.items()}
