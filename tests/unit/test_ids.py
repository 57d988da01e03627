"""Event ids are UUIDv7: valid, unique, and ordered by time."""

from __future__ import annotations

import time
import uuid

import pytest
from grassroots_eventkit.ids import uuid7

pytestmark = pytest.mark.unit


def test_an_id_is_a_version_7_rfc_9562_uuid():
    value = uuid7()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_ids_carry_the_millisecond_clock_when_made():
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after


def test_ids_made_in_later_milliseconds_sort_later():
    first = uuid7()
    time.sleep(0.002)
    assert uuid7() > first


def test_ids_do_not_repeat_when_many_are_made_at_once():
    assert len({uuid7() for _ in range(100_000)}) == 100_000
