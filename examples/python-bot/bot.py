#!/usr/bin/env python3
"""A minimal trading-bot skeleton wrapped by Warden, unchanged.

Warden needs nothing from the bot to start with: it supervises the process, captures stdout and stderr
into a rotating log, and samples CPU, memory, threads and file descriptors of the whole process tree.
What helps (and what this example does):
  * handle SIGTERM and exit cleanly within the grace period, so positions are never left mid-order;
  * print one line per decision, which a log rule turns into a "still deciding" heartbeat;
  * flush output per line (python -u, or flush=True), so Warden sees lines as they happen.
"""
import os
import random
import signal
import sys
import time

running = True


def stop(signum, _frame):
    global running
    print(f"received signal {signum}, closing down", flush=True)
    running = False


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)

engine = os.environ.get("WARDEN_ENGINE", "standalone")
print(f"bot starting under Warden as engine {engine!r}", flush=True)
while running:
    symbol = random.choice(["BTCUSDT", "ETHUSDT", "SOLUSDT"])
    action = random.choice(["buy", "sell", "hold"])
    print(f"DECISION symbol={symbol} action={action} confidence={random.random():.2f}", flush=True)
    time.sleep(5)
print("bot stopped", flush=True)
sys.exit(0)
