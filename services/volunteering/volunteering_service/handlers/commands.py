"""Handlers: check who acts and on what, then load, decide, append (through the runner)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg
from grassroots_eventkit.auth import Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner, load_aggregate
from grassroots_eventkit.domain import Command, Decider, InvalidValue, NotFound
from grassroots_eventkit.store import EventStore
from grassroots_eventkit.timers import Fire

from volunteering_service.domain import activity, rota, team
from volunteering_service.handlers.access import (
    acting_member,
    community_county,
    require_staff,
)
from volunteering_service.views import directory_model


@dataclass(frozen=True, slots=True)
class Desk:
    """What every handler needs: the runner, the store, the database and the caller."""

    runner: CommandRunner
    store: EventStore
    pool: asyncpg.Pool
    principal: Principal
    ctx: CommandContext

    async def run(
        self,
        decider: Decider[Any, Any, Any],
        stream_id: str,
        command: Command,
        community_of: Callable[[Any], str],
    ) -> Accepted:
        return await self.runner.run(
            decider, stream_id=stream_id, command=command, ctx=self.ctx, community_of=community_of
        )

    async def state(self, decider: Decider[Any, Any, Any], stream_id: str, what: str) -> Any:
        _, found = await load_aggregate(self.store, decider, stream_id)
        if found is None:
            raise NotFound(f"{what}_not_found", f"no {what} {stream_id}")
        return found


# --- teams ------------------------------------------------------------------------------


async def register_team(desk: Desk, cmd: team.RegisterTeam) -> Accepted:
    county = await community_county(desk.pool, cmd.community_id, field="community_id")
    require_staff(desk.principal, cmd.community_id, county)
    cmd = cmd.model_copy(update={"county": county})
    return await desk.run(team.DECIDER, cmd.team_id, cmd, team.community_of)


async def team_staff(desk: Desk, cmd: team.AddServiceProject) -> Accepted:
    found: team.Team = await desk.state(team.DECIDER, cmd.team_id, "team")
    require_staff(desk.principal, found.community_id, found.county)
    return await desk.run(team.DECIDER, cmd.team_id, cmd, team.community_of)


async def team_member(
    desk: Desk,
    team_id: str,
    member_id: str | None,
    build: Callable[[str], team.JoinTeam | team.LeaveTeam | team.ClaimServiceProject],
) -> Accepted:
    found: team.Team = await desk.state(team.DECIDER, team_id, "team")
    who, _ = await acting_member(
        desk.pool, desk.principal, member_id, found.community_id, found.county
    )
    return await desk.run(team.DECIDER, team_id, build(who), team.community_of)


# --- activities -------------------------------------------------------------------------


async def schedule(desk: Desk, cmd: activity.ScheduleActivity) -> Accepted:
    county = await community_county(desk.pool, cmd.community_id, field="community_id")
    require_staff(desk.principal, cmd.community_id, county)
    if cmd.compound_id is not None:
        where = await directory_model.compound_community(desk.pool, cmd.compound_id)
        if where != cmd.community_id:
            raise InvalidValue(
                "unknown_compound", "no such compound in that community", field="compound_id"
            )
    if cmd.team_id is not None:
        organiser: team.Team = await desk.state(team.DECIDER, cmd.team_id, "team")
        if organiser.county != county:
            raise InvalidValue("team_elsewhere", "the team is of another county", field="team_id")
    cmd = cmd.model_copy(update={"county": county})
    return await desk.run(activity.DECIDER, cmd.activity_id, cmd, activity.community_of)


async def activity_staff(desk: Desk, activity_id: str, cmd: activity.ActivityCommand) -> Accepted:
    found: activity.Activity = await desk.state(activity.DECIDER, activity_id, "activity")
    require_staff(desk.principal, found.community_id, found.county)
    return await desk.run(activity.DECIDER, activity_id, cmd, activity.community_of)


async def activity_member(
    desk: Desk,
    activity_id: str,
    member_id: str | None,
    build: Callable[[str, bool], activity.ActivityCommand],
) -> Accepted:
    """`build(member, by_staff)`: the member acted for, and whether staff record it."""
    found: activity.Activity = await desk.state(activity.DECIDER, activity_id, "activity")
    who, by_staff = await acting_member(
        desk.pool, desk.principal, member_id, found.community_id, found.county
    )
    return await desk.run(
        activity.DECIDER, activity_id, build(who, by_staff), activity.community_of
    )


# --- the weekend rota -------------------------------------------------------------------


async def open_shifts(
    desk: Desk,
    community_id: str,
    weekend: date,
    slots: tuple[rota.SlotSpec, ...],
    gap_notice: Any,
) -> Accepted:
    county = await community_county(desk.pool, community_id, field="community_id")
    require_staff(desk.principal, community_id, county)
    rid = rota.rota_id(community_id, weekend)
    cmd = rota.OpenShifts(
        rota_id=rid,
        community_id=community_id,
        county=county,
        weekend=weekend,
        slots=slots,
        gap_notice=gap_notice,
    )
    return await desk.run(rota.DECIDER, rid, cmd, rota.community_of)


async def rota_staff(desk: Desk, rota_id: str, cmd: rota.RotaCommand) -> Accepted:
    found: rota.Rota = await desk.state(rota.DECIDER, rota_id, "rota")
    require_staff(desk.principal, found.community_id, found.county)
    return await desk.run(rota.DECIDER, rota_id, cmd, rota.community_of)


async def rota_member(
    desk: Desk,
    rota_id: str,
    member_id: str | None,
    build: Callable[[str, bool], rota.RotaCommand],
) -> Accepted:
    found: rota.Rota = await desk.state(rota.DECIDER, rota_id, "rota")
    who, by_staff = await acting_member(
        desk.pool, desk.principal, member_id, found.community_id, found.county
    )
    return await desk.run(rota.DECIDER, rota_id, build(who, by_staff), rota.community_of)


# --- the timer --------------------------------------------------------------------------


def timer_fire(runner: CommandRunner) -> Fire:
    """An activity's attendance closes (its no-shows recorded); a rota's cut-off raises
    its gaps."""

    async def fire(stream_id: str, kind: str, due_at: datetime) -> None:
        ctx = CommandContext(actor="timer")
        if kind == "attendance_closes":
            await runner.run(
                activity.DECIDER,
                stream_id=stream_id,
                command=activity.RecordNoShows(activity_id=stream_id),
                ctx=ctx,
                community_of=activity.community_of,
            )
        elif kind == "gap_check":
            await runner.run(
                rota.DECIDER,
                stream_id=stream_id,
                command=rota.MarkGaps(rota_id=stream_id),
                ctx=ctx,
                community_of=rota.community_of,
            )

    return fire
