"""What every comparison returns, and how RESULTS.md is written from it."""
import os
import platform
import time


class Section:
    """One comparison: what was measured and how (`method`, markdown), then its tables and notes in order."""

    def __init__(self, title, method):
        self.title = title
        self.blocks = [method.strip()]
        self.verdicts = []

    def verdict(self, target, figure, met):
        """A target this comparison checks, for the summary at the top of the report."""
        self.verdicts.append((target, figure, "met" if met else "**missed**"))

    def table(self, header, rows):
        self.blocks.append("\n".join(["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)] +
                                     ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]))

    def note(self, text):
        self.blocks.append(text.strip())

    def markdown(self):
        return "\n\n".join([f"## {self.title}"] + self.blocks) + "\n"


def table(text):
    """A markdown table as warden-bench prints it, back into (header, rows)."""
    lines = [line.strip().strip("|").split("|") for line in text.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0]]
    return header, [[cell.strip() for cell in line] for line in lines[2:]]


def machine():
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    memory = next(int(line.split()[1]) // 1024 for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({cpu}), {memory} MiB memory, Linux {platform.release()}"


def document(sections, versions, command, started, appendix=""):
    elapsed = time.time() - started
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} in "
        f"{elapsed / 60:.1f} minutes. Figures, not assertions: a benchmark reports, it does not pass or fail.",
        "",
        f"- Machine: {machine()}",
    ] + [f"- {name}: {text}" for name, text in versions.items()] + [
        "",
        "Warden and its peers run one after the other in alternating rounds (A B A B), so that drift of the",
        "machine hits both. Each figure is a median with its p95 (or p99) and min–max; the ratio is Warden's",
        "median over the peer's (below 1: Warden is faster or smaller).",
        "",
        "| comparison | target | this run | |",
        "| --- | --- | --- | --- |",
    ] + [f"| {section.title} | {target} | {figure} | {met} |" for section in sections
         for target, figure, met in section.verdicts] + [""]
    return "\n".join(lines + [section.markdown() for section in sections] + [appendix.strip(), ""])
