"""The registered views: their tables, groups and topics, as docs/projections.md lists them."""

from __future__ import annotations

import pytest
from grassroots_contracts.topics import (
    ORGANISATION_EVENTS,
    POINTS_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
)
from projections_service.views.registry import VIEWS, view

from tests.support.projection_events import projected

pytestmark = pytest.mark.integration

DOCUMENTED = {
    "communities": ("communities", ORGANISATION_EVENTS.name, {"pj_communities"}),
    "organisation": (
        "organisation_figures",
        ORGANISATION_EVENTS.name,
        {
            "pj_org_compounds",
            "pj_org_buildings",
            "pj_org_households",
            "pj_org_members",
            "pj_org_reports",
            "pj_org_unit_pairings",
            "pj_org_unit_reports",
            "pj_org_pledges",
        },
    ),
    "requests": (
        "requests_figures",
        REQUESTS_EVENTS.name,
        {"pj_rq_requests", "pj_rq_ratings", "pj_rq_whistles"},
    ),
    "volunteering": (
        "volunteering_figures",
        VOLUNTEERING_EVENTS.name,
        {"pj_vo_hours", "pj_vo_teams", "pj_vo_activities", "pj_vo_slots"},
    ),
    "points": (
        "points_figures",
        POINTS_EVENTS.name,
        {"pj_pt_entries", "pj_pt_items", "pj_pt_redemptions"},
    ),
}


def test_every_documented_view_is_registered_once() -> None:
    assert [v.name for v in VIEWS] == list(DOCUMENTED)
    with pytest.raises(KeyError, match="the views are communities, organisation"):
        view("overview")


@pytest.mark.parametrize("name", list(DOCUMENTED))
async def test_a_view_owns_its_tables_group_and_topic(stack, name):
    group, topic, tables = DOCUMENTED[name]
    async with projected(stack, name) as feed:
        registered = view(name)
        assert (registered.group, list(registered.topics)) == (
            f"grassroots.projections.{group}",
            [topic],
        )
        rows = await feed.pool.fetch(
            "SELECT c.relname AS table_name,"
            " bool_or(a.attname = 'community_id') AS keyed_by_community"
            " FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = ANY(i.indkey)"
            " WHERE i.indisprimary AND c.relname LIKE 'pj\\_%' GROUP BY 1"
        )
        # Every table carries community_id in its primary key.
        assert {r["table_name"]: r["keyed_by_community"] for r in rows} == dict.fromkeys(
            tables, True
        )
