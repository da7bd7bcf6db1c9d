"""The state one benchmark run shares: its scratch directory, the compiled C children, the scale."""
import os
import signal
import subprocess
import time

from .common import ROOT


class Context:
    def __init__(self, scratch, quick):
        self.scratch = scratch
        self.quick = quick
        self.tools = {}

    def scaled(self, count):
        """`count` in a full run; a fifth of it (at least 2) with --quick, which checks the harness works."""
        return max(2, count // 5) if self.quick else count

    def seconds(self, full):
        return max(5, full // 6) if self.quick else full

    def directory(self, name):
        path = os.path.join(self.scratch, name)
        os.makedirs(path, exist_ok=True)
        return path

    def tool(self, name):
        """`benchmarks/NAME.c`, compiled once per run with -O2."""
        if name not in self.tools:
            output = os.path.join(self.scratch, name)
            subprocess.run(["cc", "-O2", "-o", output, os.path.join(ROOT, "benchmarks", f"{name}.c")], check=True)
            self.tools[name] = output
        return self.tools[name]

    def watch(self, agent, directory, done, seconds):
        """Lets `agent` work until `done()` or for at most `seconds`, then stops it and whatever it started."""
        try:
            deadline = time.time() + seconds
            while time.time() < deadline and not done():
                time.sleep(0.2)
        finally:
            agent.stop()
            self.sweep(directory)

    @staticmethod
    def sweep(directory):
        """SIGKILLs every process whose command line mentions `directory`: children that a peer started in a
        session of their own (monit's start programs) and that killing the peer's group does not reach.
        Returns how many there were."""
        me, killed = os.getpid(), 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == me:
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    cmdline = f.read().decode(errors="replace")
            except OSError:
                continue
            if directory in cmdline:
                try:
                    os.kill(int(entry), signal.SIGKILL)
                    killed += 1
                except ProcessLookupError:
                    pass
        return killed
