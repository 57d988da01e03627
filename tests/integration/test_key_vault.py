"""The key vault on real PostgreSQL: one key per subject however many ask at once, a
shredded key stays shredded, a wrong master key is refused, the caches of other
instances expire, and events stored in plain text before are sealed in place."""

from __future__ import annotations

import asyncio
import json

import pytest
from grassroots_eventkit.commands import CommandContext, CommandRunner
from grassroots_eventkit.personal import (
    ERASED_TEXT,
    KEY_VAULT_MIGRATIONS,
    KeyVault,
    MasterKey,
    Sealer,
    WrongMasterKey,
)
from grassroots_eventkit.personal.cipher import new_master_key_text, parse_master_key
from grassroots_eventkit.personal.upgrade import seal_plaintext
from grassroots_eventkit.store.postgres import PostgresEventStore
from requests_service.domain import request as rq
from requests_service.domain.request_events import PERSONAL_FIELDS
from requests_service.publication import to_public

from tests.support.databases import fresh_database
from tests.unit.test_request_publication import ADDRESS, RULE

pytestmark = pytest.mark.integration

NAME, PHONE, TEXT = "司马秀英", "13907465555", "SECRET-楼顶漏水-9911"


def _master() -> MasterKey:
    return MasterKey(parse_master_key(new_master_key_text()))


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_one_key_is_made_for_a_subject_however_many_instances_ask_at_once(stack):
    master = _master()
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        vaults = [KeyVault(pool, master, cache_s=0) for _ in range(4)]
        answers = await asyncio.gather(
            *(vaults[i % 4].keys_for_sealing(["resident:a", "resident:b"]) for i in range(24))
        )
        assert len({a["resident:a"] for a in answers}) == 1
        assert len({a["resident:b"] for a in answers}) == 1
        assert await pool.fetchval("SELECT count(*) FROM ek_subject_keys") == 2
        fresh = KeyVault(pool, master)
        opened = await fresh.keys_for_opening(["resident:a"])
        assert opened == {"resident:a": answers[0]["resident:a"]}


async def test_a_shredded_key_opens_nothing_and_seals_nothing_when_asked_again(stack):
    master = _master()
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        vault = KeyVault(pool, master)
        key = (await vault.keys_for_sealing(["resident:a"]))["resident:a"]
        assert key is not None
        assert await vault.erase("resident:a") is True
        assert await vault.erase("resident:a") is False  # idempotent
        assert await vault.erase("resident:never") is False  # a tombstone all the same
        other = KeyVault(pool, master)
        assert await other.keys_for_opening(["resident:a", "resident:never"]) == {
            "resident:a": None,
            "resident:never": None,
        }
        assert await other.keys_for_sealing(["resident:a", "resident:never"]) == {
            "resident:a": None,
            "resident:never": None,
        }
        row = await pool.fetchrow(
            "SELECT wrapped_key, erased_at FROM ek_subject_keys WHERE subject_id = 'resident:a'"
        )
        assert row["wrapped_key"] is None
        assert row["erased_at"] is not None


async def test_a_wrong_master_key_is_refused_at_start_and_never_reads_as_erased(stack):
    master = _master()
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        vault = KeyVault(pool, master)
        await vault.verify_master()
        await vault.keys_for_sealing(["resident:a"])
        wrong = KeyVault(pool, _master())
        with pytest.raises(WrongMasterKey):
            await wrong.verify_master()
        with pytest.raises(WrongMasterKey):
            await wrong.keys_for_opening(["resident:a"])
        await KeyVault(pool, master).verify_master()  # the right one still passes


async def test_another_instance_stops_opening_an_erased_subject_when_its_cache_expires(stack):
    master = _master()
    clock = Clock()
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        elsewhere = KeyVault(pool, master, cache_s=10, clock=clock)
        key = (await elsewhere.keys_for_sealing(["resident:a"]))["resident:a"]
        await KeyVault(pool, master).erase("resident:a")
        clock.now = 9.9
        assert (await elsewhere.keys_for_opening(["resident:a"]))["resident:a"] == key
        clock.now = 10.1
        assert (await elsewhere.keys_for_opening(["resident:a"]))["resident:a"] is None


async def _submit_and_note(store: PostgresEventStore, request_id: str, resident: str | None):
    runner = CommandRunner(store, source="/grassroots/requests", publication=to_public)
    ctx = CommandContext(actor="t")
    for command in (
        rq.SubmitRequest(
            request_id=request_id,
            county="东安县",
            address=ADDRESS,
            category="repairs",
            channel="app" if resident else "hotline",
            text=TEXT,
            contact=rq.Contact(name=NAME, phone=PHONE),
            resident_id=resident,
            deadlines=RULE,
            route=rq.Route(level="household", responsible_ids=("m-1",)),
        ),
        rq.NoteProgress(
            request_id=request_id, by=rq.Actor(kind="community", id="s-1"), note=f"{NAME}家已上门"
        ),
    ):
        await runner.run(
            rq.DECIDER,
            stream_id=request_id,
            command=command,
            ctx=ctx,
            community_of=rq.community_of,
        )


async def test_events_stored_in_plain_text_before_are_sealed_in_place_by_the_upgrade(stack):
    master = _master()
    async with fresh_database(stack, extra=KEY_VAULT_MIGRATIONS) as (_, pool):
        plain = PostgresEventStore(pool)  # the store as it was before sealing existed
        await _submit_and_note(plain, "r-1", "res-1")
        await _submit_and_note(plain, "r-2", None)

        async def raw() -> str:
            return await pool.fetchval("SELECT string_agg(data::text, ' ') FROM es_events")

        assert NAME in await raw()
        vault = KeyVault(pool, master)
        sealer = Sealer(vault, PERSONAL_FIELDS)
        assert await seal_plaintext(pool, sealer, vault, [rq.DECIDER]) == 4
        assert await seal_plaintext(pool, sealer, vault, [rq.DECIDER]) == 0
        text = await raw()
        assert [s for s in (NAME, PHONE, TEXT) if s in text] == []
        subjects = {r["subject_id"] for r in await pool.fetch("SELECT * FROM ek_subject_keys")}
        assert subjects == {"resident:res-1", "request:r-2"}

        sealed = PostgresEventStore(pool, sealer=sealer)
        first = (await sealed.load("r-1"))[0].data
        assert (first["text"], first["contact"]) == (TEXT, {"name": NAME, "phone": PHONE})
        await vault.erase("request:r-2")
        walk_in = await sealed.load("r-2")
        assert [(e.data.get("text"), e.data.get("note")) for e in walk_in] == [
            (ERASED_TEXT, None),
            (None, None),  # RequestRouted: nothing personal
            (None, ERASED_TEXT),
        ]
        assert walk_in[0].data["contact"] is None
        version, state = await sealed.aggregates.read(rq.DECIDER, "r-2")
        assert (version, state.status) == (3, "open")
        kept = json.dumps([dict(e.data) for e in await sealed.load("r-1")], ensure_ascii=False)
        assert f"{NAME}家已上门" in kept  # the other subject is untouched
