"""Start a test helper as its own OS process and wait for it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.support.stack import ROOT, load_stack


def spawn(module: str, *args: str, failpoints: str = "", log: Path) -> subprocess.Popen[bytes]:
    stack = load_stack()
    env = {
        **os.environ,
        # The stack's super user: the tests' relays and consumers use topics of their own.
        **(stack.kafka_env() if stack else {}),
        "TEST_FAILPOINTS": failpoints,
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def wait_exit(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while proc.poll() is None:
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{proc.args} did not exit in {timeout}s")
        await asyncio.sleep(0.05)
    return proc.returncode


def terminate(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
