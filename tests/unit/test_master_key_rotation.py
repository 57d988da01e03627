"""Master key rotation, the pure parts: key ids, a ring of two keys, and what a rotation
decides to do from the canaries it finds (ADR 0021)."""

from __future__ import annotations

import base64

import pytest
from grassroots_eventkit.personal import MasterKey, MasterKeys, WrongMasterKey
from grassroots_eventkit.personal.cipher import new_data_key, parse_master_key
from grassroots_eventkit.personal.rotation import KeyState, RotationRefused, plan

RAW = bytes(range(32))


def _key(raw: bytes | None = None) -> MasterKey:
    return MasterKey(raw or parse_master_key(base64.b64encode(new_data_key()).decode()))


def test_a_key_id_is_stable_short_and_tells_keys_apart_without_showing_the_key():
    one, again, other = MasterKey(RAW), MasterKey(RAW), _key()
    assert one.key_id == again.key_id != other.key_id
    assert len(one.key_id) == 16
    assert RAW.hex()[:16] not in one.key_id
    assert base64.b64encode(RAW).decode() not in repr(one)
    assert one.key_id in repr(one)


def test_a_ring_unwraps_with_whichever_key_wrapped_the_row():
    old, new = _key(), _key()
    ring = MasterKeys(new, previous=old)
    data = new_data_key()
    assert ring.unwrap("resident:1", old.wrap("resident:1", data), old.key_id) == data
    assert ring.unwrap("resident:1", new.wrap("resident:1", data), new.key_id) == data
    # rows from before key ids name no key: any held key that opens them will do
    assert ring.unwrap("resident:1", old.wrap("resident:1", data), None) == data


def test_a_ring_without_the_rows_key_names_it_in_the_refusal():
    old, new = _key(), _key()
    wrapped = new.wrap("resident:1", new_data_key())
    with pytest.raises(WrongMasterKey, match=f"wrapped by master key {new.key_id}.*rotated"):
        MasterKeys(old).unwrap("resident:1", wrapped, new.key_id)
    with pytest.raises(WrongMasterKey, match="no master key"):
        MasterKeys(old).unwrap("resident:1", wrapped, None)


def test_a_canary_opens_only_with_a_held_key():
    old, new = _key(), _key()
    assert MasterKeys(new, old).opening(old.key_id, old.check_value(), role="x") is old
    assert MasterKeys(new, old).opening(None, old.check_value(), role="x") is old
    with pytest.raises(WrongMasterKey, match=f"master key {new.key_id}; this instance holds"):
        MasterKeys(old).opening(new.key_id, new.check_value(), role="active master key")


def _state(active: MasterKey, *retiring: MasterKey, legacy: bool = False) -> KeyState:
    return KeyState(
        None if legacy else active.key_id,
        active.check_value(),
        tuple((k.key_id, k.check_value()) for k in retiring),
    )


def test_a_rotation_starts_from_the_current_key_also_from_before_key_ids():
    a, b = _key(), _key()
    assert plan(_state(a), a, b) == "start"
    assert plan(_state(a, legacy=True), a, b) == "start"


def test_a_rotation_switched_but_unfinished_resumes_and_a_finished_one_is_done():
    a, b = _key(), _key()
    assert plan(_state(b, a), a, b) == "resume"
    assert plan(_state(b), a, b) == "done"


def test_a_rotation_refuses_a_current_key_that_is_not_the_databases():
    a, b, c = _key(), _key(), _key()
    with pytest.raises(WrongMasterKey, match="not the database's"):
        plan(_state(a), c, b)
    with pytest.raises(WrongMasterKey, match="not the database's"):
        plan(_state(a, legacy=True), c, b)
    with pytest.raises(WrongMasterKey, match=f"is from master key {a.key_id}"):
        plan(_state(b, a), c, b)  # resuming needs the key it is moving away from


def test_a_rotation_refuses_the_same_key_and_an_earlier_unfinished_rotation():
    a, b, c = _key(), _key(), _key()
    with pytest.raises(RotationRefused, match="is the current one"):
        plan(_state(a), a, a)
    with pytest.raises(RotationRefused, match="unfinished"):
        plan(_state(b, a), b, c)  # a -> b not finished; b -> c must wait
