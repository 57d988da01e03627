"""The local stack's process bookkeeping (grassroots_stack.processes): a process it has
just started counts as running, from the first moment (the chaos runs restart a killed
service and wait for it at once)."""

from __future__ import annotations

import sys

import pytest
from grassroots_stack import processes

pytestmark = pytest.mark.integration


def test_a_process_counts_as_running_the_moment_it_was_started(tmp_path):
    pids, logs = tmp_path / "pids", tmp_path / "logs"
    for n in range(5):
        name = f"sleeper-{n}"
        pid = processes.start(
            pids,
            logs,
            name,
            [sys.executable, "-c", "import time; time.sleep(30)"],
            marker="time.sleep",
        )
        try:
            assert processes.is_running(pids, name) == pid
        finally:
            assert processes.kill(pids, name) == pid
        assert processes.is_running(pids, name) is None
