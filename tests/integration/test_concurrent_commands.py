"""Test 5: two concurrent commands on one aggregate, from two service instances: one wins
first; the other is retried on the new version or refused with 409, never silently lost."""

from __future__ import annotations

import asyncio

import pytest
from grassroots_eventkit.commands import CommandContext, CommandRunner, TooMuchContention
from grassroots_eventkit.store.postgres import PostgresEventStore
from organisation_service.domain import community
from organisation_service.handlers.communities import community_name_claims
from organisation_service.publication import to_public

from tests.support.databases import fresh_database

pytestmark = pytest.mark.integration


class BothLoadFirst(PostgresEventStore):
    """One service instance's store. Its first load waits until the other instance has
    loaded too, so both commands decide on one version. (Within one instance, commands
    on one aggregate queue behind each other and never race.)"""

    def __init__(self, pool, gate: asyncio.Barrier) -> None:
        super().__init__(pool)
        self._gate = gate
        self._loads = 0

    async def load(self, stream_id, *, after=0):
        events = await super().load(stream_id, after=after)
        self._loads += 1
        if self._loads == 1:  # a retry reloads freely
            await asyncio.wait_for(self._gate.wait(), timeout=10)
        return events


async def _register(runner: CommandRunner) -> str:
    cmd = community.RegisterCommunity(
        community_id="c-1", name="茶亭社区", county="东安县", town="白牙市镇"
    )
    await runner.run(
        community.DECIDER,
        stream_id="c-1",
        command=cmd,
        ctx=CommandContext(),
        community_of=community.community_of,
        reservations=community_name_claims,
    )
    return "c-1"


def _rename(runner: CommandRunner, name: str):
    return runner.run(
        community.DECIDER,
        stream_id="c-1",
        command=community.RenameCommunity(community_id="c-1", name=name),
        ctx=CommandContext(actor=name),
        community_of=community.community_of,
        reservations=community_name_claims,
    )


@pytest.mark.parametrize("retries", [5, 0])
async def test_the_loser_is_retried_or_refused_never_lost_when_two_commands_race(stack, retries):
    async with fresh_database(stack) as (_dsn, pool):
        gate = asyncio.Barrier(2)
        one, two = (
            CommandRunner(
                BothLoadFirst(pool, gate),
                source="/test",
                publication=to_public,
                max_retries=retries,
            )
            for _ in range(2)
        )
        await _register(CommandRunner(PostgresEventStore(pool), source="/t", publication=to_public))

        results = await asyncio.gather(
            _rename(one, "甲社区"), _rename(two, "乙社区"), return_exceptions=True
        )
        accepted = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, BaseException)]
        stored = await PostgresEventStore(pool).load("c-1")
        names = [e.data["name"] for e in stored[1:]]

        if retries:
            assert sorted(r.version for r in accepted) == [2, 3]
            assert sorted(names) == ["乙社区", "甲社区"]
            # The retried one decided on the winner's state: it renamed *from* the new name.
            assert stored[2].data["previous_name"] == stored[1].data["name"]
        else:
            assert len(accepted) == 1
            assert len(refused) == 1
            assert isinstance(refused[0], TooMuchContention)
            assert refused[0].status == 409
            assert len(names) == 1  # exactly the winner's event; the loser wrote nothing


async def test_commands_on_one_aggregate_in_one_instance_queue_instead_of_conflicting(stack):
    async with fresh_database(stack) as (_dsn, pool):
        runner = CommandRunner(
            PostgresEventStore(pool), source="/t", publication=to_public, max_retries=0
        )
        await _register(runner)
        names = [f"第{i}社区" for i in range(40)]
        results = await asyncio.gather(*(_rename(runner, n) for n in names))
        assert sorted(r.version for r in results) == list(range(2, 42))
        assert len(await PostgresEventStore(pool).load("c-1")) == 41
