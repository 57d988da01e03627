"""Time-ordered ids (UUIDv7, RFC 9562) for events.

A random (v4) id lands on a random leaf of every index over it, so each insert
dirties a different page, and the first write to a page after a checkpoint puts
the whole page into the WAL. A v7 id starts with the millisecond clock: inserts go
to the right-hand edge of the index, a few hot pages take them all, and the WAL
(and so the commit's flush) stays small. The same holds for the consumers' dedupe
index over event ids.
"""

from __future__ import annotations

import os
import time
from uuid import UUID


def uuid7() -> UUID:
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return UUID(int=value)
