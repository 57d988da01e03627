"""Named crash points for fault-injection tests.

A process started with ``GRASSROOTS_FAILPOINTS=relay.after_publish`` kills itself
with SIGKILL the first time it reaches that point: the same as a power cut at the
worst moment. Tests use this to prove that nothing is lost or applied twice.
"""

from __future__ import annotations

import os
import signal

import structlog

_armed: frozenset[str] = frozenset()


def arm(names: frozenset[str]) -> None:
    global _armed
    _armed = names


def hit(name: str) -> None:
    if name in _armed:
        structlog.get_logger().warning("failpoint.crash", failpoint=name)
        os.kill(os.getpid(), signal.SIGKILL)
