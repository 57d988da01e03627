"""What each process of the stack holds and burns: proportional memory (Pss, so shared
pages are not counted twice across PostgreSQL's backends) and CPU seconds, from /proc.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from grassroots_stack import postgres, processes
from grassroots_stack.layout import Layout

_TICKS = os.sysconf("SC_CLK_TCK")


def stack_processes(layout: Layout) -> dict[str, list[int]]:
    """name -> pids: each service, Kafka, and PostgreSQL's postmaster with its backends."""
    state = json.loads(layout.state_file.read_text())
    found = {name: [s["pid"]] for name, s in state["services"].items()}
    kafka_pid = processes.read_pid(layout.pids, "kafka")
    if kafka_pid:
        found["kafka"] = [kafka_pid]
    postmaster = postgres.cluster_dir(layout) / "data" / "postmaster.pid"
    if postmaster.exists():
        root = int(postmaster.read_text().split()[0])
        found["postgres"] = [root, *_children(root)]
    return found


def _children(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(entry.name))
    return pids


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


@dataclass
class Meter:
    """Samples the stack's processes; keeps each one's largest memory seen."""

    layout: Layout
    peak_mb: dict[str, float] = field(default_factory=dict)

    def sample(self) -> dict[str, float]:
        """CPU seconds so far per process (PostgreSQL: its backends now alive)."""
        cpu: dict[str, float] = {}
        for name, pids in stack_processes(self.layout).items():
            mb = sum(_pss_kb(p) for p in pids) / 1024
            self.peak_mb[name] = max(self.peak_mb.get(name, 0.0), mb)
            cpu[name] = sum(_cpu_s(p) for p in pids)
        return cpu
