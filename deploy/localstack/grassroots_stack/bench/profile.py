"""Where the busiest service spends its time: py-spy samples the running process (no
restart, no code change) and the folded stacks are summed per function, both where
the time is spent itself and what it is spent under.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

TOP = 25
RATE_HZ = 100


@dataclass(frozen=True)
class Profile:
    service: str
    seconds: float
    samples: int
    self_share: list[tuple[str, float]]  # function -> share of samples spent in it
    inclusive_share: list[tuple[str, float]]  # function -> share of samples under it


def _py_spy() -> str:
    beside = Path(sys.executable).with_name("py-spy")
    found = str(beside) if beside.exists() else shutil.which("py-spy")
    if not found:
        raise RuntimeError("py-spy is not installed: uv sync --all-packages")
    return found


async def record(service: str, pid: int, seconds: float) -> Profile:
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "folded.txt"
        command = [
            _py_spy(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            str(RATE_HZ),
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ]
        done = await asyncio.to_thread(
            subprocess.run, command, capture_output=True, text=True, timeout=seconds + 60
        )
        if done.returncode != 0 or not out.exists():
            raise RuntimeError(f"py-spy failed: {done.stderr[-1000:]}")
        return summarise(service, seconds, out.read_text())


def summarise(service: str, seconds: float, folded: str) -> Profile:
    """Folded stacks ("a;b;c 12" per line) to the top functions by own and total time."""
    own: Counter[str] = Counter()
    under: Counter[str] = Counter()
    total = 0
    for line in folded.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [_short(f) for f in stack.split(";")]
        if _idle(frames[-1]):
            continue  # the event loop waiting for work is not time spent
        total += n
        own[frames[-1]] += n
        for frame in set(frames):
            under[frame] += n
    if not total:
        raise RuntimeError(f"py-spy saw {service} busy in no sample")

    def share(counts: Counter[str]) -> list[tuple[str, float]]:
        return [(f, round(c / total, 3)) for f, c in counts.most_common(TOP)]

    return Profile(service, seconds, total, share(own), share(under))


def _short(frame: str) -> str:
    """`fn (path/to/module.py:123)` -> `fn (module.py)`: lines differ, functions add up."""
    name, _, where = frame.partition(" (")
    module = where.rstrip(")").rsplit(":", 1)[0].rsplit("/", 1)[-1]
    return f"{name} ({module})" if module else name


def _idle(frame: str) -> bool:
    return frame.startswith(("select (selectors.py)", "_worker (thread.py)", "wait (threading.py)"))
