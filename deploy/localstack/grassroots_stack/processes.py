"""Detached processes with pid files; stopped by pid, and only if the pid is still ours."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def _pid_file(pids: Path, name: str) -> Path:
    return pids / f"{name}.pid"


def read_pid(pids: Path, name: str) -> int | None:
    try:
        return int(_pid_file(pids, name).read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""


def is_running(pids: Path, name: str) -> int | None:
    """The pid if the recorded process is alive and still the one we started."""
    pid = read_pid(pids, name)
    if pid is None:
        return None
    marker = _pid_file(pids, name).read_text().split(maxsplit=1)
    expected = marker[1].strip() if len(marker) > 1 else ""
    cmdline = _cmdline(pid)
    if not cmdline:
        # Gone, a zombie, or just started: until exec has set the new image up the kernel
        # shows no command line, and a service started a moment ago is running.
        return pid if _alive(pid) else None
    if expected and expected not in cmdline:
        return None  # the pid was reused by something else
    return pid


def start(
    pids: Path,
    logs: Path,
    name: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    marker: str,
) -> int:
    pids.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    log = (logs / f"{name}.log").open("ab")
    proc = subprocess.Popen(
        list(argv),
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        # Unbuffered, as the image runs them: a process killed with SIGKILL (chaos, a
        # crash) would otherwise take its last lines of log with it.
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        cwd=cwd,
        start_new_session=True,  # survives the `make up` shell; stopped by `make down`
    )
    _pid_file(pids, name).write_text(f"{proc.pid} {marker}\n")
    return proc.pid


def stop(pids: Path, name: str, *, timeout: float = 25.0) -> bool:
    """SIGTERM (graceful), then SIGKILL after `timeout`. True if something was stopped."""
    pid = is_running(pids, name)
    _pid_file(pids, name).unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    return True


def kill(pids: Path, name: str, *, timeout: float = 10.0) -> int | None:
    """SIGKILL, as a power cut would: no shutdown hooks, nothing flushed. Waits until the
    process is gone; the pid file goes with it. The pid killed, or None if none ran."""
    pid = is_running(pids, name)
    if pid is None:
        return None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name} (pid {pid}) still alive {timeout:.0f}s after SIGKILL")
        time.sleep(0.05)
    _pid_file(pids, name).unlink(missing_ok=True)
    return pid


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our child; otherwise just probe.
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        return stat.read_text().split(") ", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False
