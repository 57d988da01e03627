"""The communities view: the county's list of communities, registered and renamed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from grassroots_contracts.organisation import CommunityRegistered, CommunityRenamed
from projections_service.views.communities import get_community, list_communities

from tests.support.projection_events import Feed, projected

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
C1, C2, C3 = "c-chating", "c-longxi", "c-other-county"


def registered(feed: Feed, community_id: str, name: str, county: str = "东安县"):
    return feed.event(
        CommunityRegistered,
        at=T0,
        community_id=community_id,
        name=name,
        county=county,
        town="白牙市镇",
        registered_at=T0.isoformat(),
    )


def renamed(feed: Feed, community_id: str, name: str, version: int, at: datetime):
    return feed.event(
        CommunityRenamed,
        at=at,
        version=version,
        community_id=community_id,
        name=name,
        renamed_at=at.isoformat(),
    )


async def test_a_registered_community_is_listed_in_its_county_only(stack):
    async with projected(stack, "communities") as feed:
        await feed.apply(
            [
                registered(feed, C1, "茶亭社区"),
                registered(feed, C2, "龙溪社区"),
                registered(feed, C3, "城关社区", county="零陵区"),
            ]
        )

        listed = await list_communities(
            feed.pool, county="东安县", community_ids=None, limit=10, offset=0
        )
        assert {c.community_id: c.name for c in listed} == {C1: "茶亭社区", C2: "龙溪社区"}
        row = await get_community(feed.pool, C3)
        assert row is not None
        assert (row.county, row.town, row.name) == ("零陵区", "白牙市镇", "城关社区")
        assert (row.registered_at, row.version, row.updated_at) == (T0, 1, T0)
        assert await get_community(feed.pool, "c-unknown") is None


async def test_a_community_scoped_reader_sees_only_its_communities(stack):
    async with projected(stack, "communities") as feed:
        await feed.apply([registered(feed, C1, "茶亭社区"), registered(feed, C2, "龙溪社区")])

        scoped = await list_communities(
            feed.pool, county=None, community_ids=frozenset({C2}), limit=10, offset=0
        )
        assert [c.community_id for c in scoped] == [C2]
        paged = await list_communities(
            feed.pool, county="东安县", community_ids=None, limit=1, offset=1
        )
        everything = await list_communities(
            feed.pool, county="东安县", community_ids=None, limit=10, offset=0
        )
        assert [c.community_id for c in paged] == [everything[1].community_id]


async def test_a_rename_with_a_newer_version_changes_the_name(stack):
    async with projected(stack, "communities") as feed:
        later = T0 + timedelta(days=31)
        await feed.apply([registered(feed, C1, "茶亭社区")])
        await feed.apply([renamed(feed, C1, "茶亭新社区", version=2, at=later)])

        row = await get_community(feed.pool, C1)
        assert row is not None
        assert (row.name, row.version, row.updated_at) == ("茶亭新社区", 2, later)
        assert row.registered_at == T0


async def test_a_rename_with_an_older_version_than_the_row_is_ignored(stack):
    async with projected(stack, "communities") as feed:
        await feed.apply([registered(feed, C1, "茶亭社区")])
        await feed.apply([renamed(feed, C1, "第三个名字", version=3, at=T0 + timedelta(days=2))])
        await feed.apply([renamed(feed, C1, "第二个名字", version=2, at=T0 + timedelta(days=1))])

        row = await get_community(feed.pool, C1)
        assert row is not None
        assert (row.name, row.version) == ("第三个名字", 3)


async def test_registration_and_renames_in_one_batch_end_with_the_newest_name(stack):
    async with projected(stack, "communities") as feed:
        await feed.apply(
            [
                registered(feed, C1, "茶亭社区"),
                renamed(feed, C1, "新名字", version=3, at=T0 + timedelta(days=2)),
                renamed(feed, C1, "旧名字", version=2, at=T0 + timedelta(days=1)),
                registered(feed, C2, "龙溪社区"),
            ]
        )

        first, second = await get_community(feed.pool, C1), await get_community(feed.pool, C2)
        assert first is not None
        assert second is not None
        assert (first.name, first.version) == ("新名字", 3)
        assert (second.name, second.version) == ("龙溪社区", 1)


async def test_a_replayed_registration_does_not_undo_a_rename(stack):
    async with projected(stack, "communities") as feed:
        batch = [
            registered(feed, C1, "茶亭社区"),
            renamed(feed, C1, "茶亭新社区", version=2, at=T0 + timedelta(days=1)),
        ]
        await feed.apply(batch)
        await feed.apply(batch)
        await feed.apply(batch[:1])

        row = await get_community(feed.pool, C1)
        assert row is not None
        assert (row.name, row.version, row.registered_at) == ("茶亭新社区", 2, T0)
        listed = await list_communities(
            feed.pool, county="东安县", community_ids=None, limit=10, offset=0
        )
        assert len(listed) == 1
