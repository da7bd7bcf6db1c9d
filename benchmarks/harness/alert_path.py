"""6. Alert path: from a demo-engine fault to the message at a local Telegram Bot API server (Warden), and the
same fault through Prometheus (1 s scrape) → rule → Alertmanager (group_wait 0) → webhook."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .agents import bench, binary, start_alertmanager, start_prometheus, start_warden
from .common import Figures, free_port, http_request, ratio, wait_until
from .report import Section, table

TOKEN = "123456:bench-token"


class Receiver:
    """One loopback server for both paths: the Bot API's sendMessage (answered like Telegram) and
    Alertmanager's webhook. Keeps (arrival time, kind, body) of every request."""

    def __init__(self):
        self.arrivals = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                kind = "telegram" if self.path.endswith("/sendMessage") else "alertmanager"
                with receiver.lock:
                    receiver.arrivals.append((time.time(), kind, body.decode(errors="replace")))
                answer = b'{"ok":true,"result":{"message_id":1}}' if kind == "telegram" else b"{}"
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def first(self, kind, after, predicate):
        with self.lock:
            return next((t for t, k, body in self.arrivals if k == kind and t > after and predicate(body)), None)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def firing(body):
    return json.loads(body).get("status") == "firing"


def engine_entry(directory, engine_port):
    """The demo engine with the positions check fed every second and judged at once; no policy, so that the
    fault stays until the harness repairs it."""
    database = f"{directory}/engine.sqlite"
    return f"""  - name: demo
    command: ["{binary('warden-demo-engine')}", "--db", "{database}", "--listen", "127.0.0.1:{engine_port}",
              "--broker-port", "{free_port()}"]
    working_dir: "{directory}"
    probes:
      - {{name: status, http: {{url: "http://127.0.0.1:{engine_port}/status"}}, interval: 1s, timeout: 2s}}
      - {{name: db, sqlite: {{path: "{database}"}}, interval: 1s, timeout: 2s}}
    checks:
      positions: {{database: db, monitored: {{probe: status, pointer: /monitored_positions}}, overdue_grace: 1h}}
    health: {{evaluate_every: 1s, escalate_after: 1, recover_after: 1, startup_grace: 2s}}
"""


RULES = """groups:
  - name: bench
    rules:
      - alert: BenchMonitorMismatch
        expr: warden_monitor_mismatch > 0
        labels: {severity: critical}
"""


def run(ctx):
    trials = ctx.scaled(10)
    directory = ctx.directory("alerts")
    receiver = Receiver()
    agents = []
    warden_times, prometheus_times = [], []
    try:
        engine_port = free_port()
        warden = start_warden(ctx.directory("alerts/warden"), engine_entry(ctx.directory("alerts/engine"), engine_port),
                              extra=f"""alerts:
  group_window: 0s
  channels:
    - name: desk
      min_level: unhealthy
      telegram: {{bot_token: {{env: BENCH_BOT_TOKEN}}, chat_id: "1", api_url: "http://127.0.0.1:{receiver.port}",
                 min_interval: 0s}}
""", env={"BENCH_BOT_TOKEN": TOKEN})
        agents.append(warden)
        alertmanager = start_alertmanager(ctx.directory("alerts/am"), f"http://127.0.0.1:{receiver.port}/alertmanager")
        agents.append(alertmanager)
        prometheus = start_prometheus(ctx.directory("alerts/prom"), warden.port, alertmanager.port, RULES)
        agents.append(prometheus)

        def positions_healthy():
            status = json.loads(http_request(warden.port, "/api/v1/status")[1])
            positions = status["engines"][0]["health"]["components"].get("positions", {})
            return positions.get("level") == "HEALTHY"

        def prometheus_quiet():
            alerts = json.loads(http_request(prometheus.port, "/api/v1/alerts")[1])["data"]["alerts"]
            return not alerts

        def open_positions():
            text = http_request(warden.port, "/metrics")[1].decode()
            return any(line.startswith("warden_open_positions{") and float(line.split()[-1]) >= 1
                       for line in text.splitlines())

        wait_until(open_positions, 120, "the demo engine has an open position")
        for _ in range(trials):
            wait_until(lambda: positions_healthy() and prometheus_quiet(), 60, "positions healthy and no alert firing")
            time.sleep(2)
            started = time.time()
            http_request(engine_port, "/admin/faults/drop_monitoring", method="POST")
            wait_until(lambda: receiver.first("telegram", started, lambda _: True) and
                       receiver.first("alertmanager", started, firing), 60, "both paths delivered the alert")
            warden_times.append((receiver.first("telegram", started, lambda _: True) - started) * 1000)
            prometheus_times.append((receiver.first("alertmanager", started, firing) - started) * 1000)
            http_request(engine_port, "/admin/rearm-monitoring?reason=bench", method="POST")
    finally:
        for agent in reversed(agents):
            agent.stop()
        receiver.close()
        ctx.sweep(directory)

    warden_figures, prometheus_figures = Figures(warden_times), Figures(prometheus_times)
    section = Section("6. Alert path", f"""
The demo engine under Warden, whose positions check is fed every second (an HTTP probe and a SQLite probe,
each every 1 s) and judged every second (`escalate_after: 1`). The harness switches on `drop_monitoring`
(every position loses its monitor, as in the lost-monitors incident) and times two deliveries of the same fault to one
local server: Warden's own Telegram alert (`group_window: 0s`, the Bot API's `sendMessage`), and Prometheus
(1 s scrape and evaluation) firing `warden_monitor_mismatch > 0` without `for`, sent by Alertmanager
(`group_wait: 0s`) to a webhook. Both paths start from the same Warden metric, so the difference is the
path. Then the harness re-arms the monitors and waits for both to clear. {trials} faults.""")
    section.table(["path", "median (ms)", "p95 (ms)", "min–max (ms)", "faults", "Warden / Prometheus path"], [
        ["Warden → Telegram Bot API", *warden_figures.cells(0), len(warden_times), ratio(warden_figures, prometheus_figures)],
        ["Warden metric → Prometheus → Alertmanager → webhook", *prometheus_figures.cells(0), len(prometheus_times), ""],
    ])
    if warden_figures and prometheus_figures:
        section.verdict("Warden's own alert no slower than the same metric through Prometheus and Alertmanager",
                        f"{warden_figures.median:.0f} ms against {prometheus_figures.median:.0f} ms",
                        warden_figures.median <= prometheus_figures.median)
    section.note("""Both include the fault reaching the probes (up to 1 s, the probe interval). The inner part of
Warden's path, from a recorded transition to the `sendMessage` request (`warden-bench alert-latency`,
grouping off, 200 events at random moments):""")
    section.table(*table(bench("alert-latency", str(ctx.scaled(200)))))
    return section
