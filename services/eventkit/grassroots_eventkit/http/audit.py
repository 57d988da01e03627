"""GET /audit: who ran which command, when, where, and how it ended; per community.

Community staff read their own communities' rows; a county administrator or a
county department reads every row of the county. Members, residents and agencies
get 403: an audit row names the acting person, and agencies read public events only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict

from grassroots_eventkit import audit
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import InvalidValue
from grassroots_eventkit.http.security import CurrentPrincipal

COMMUNITY_ROLES = ("community_staff", "grid_worker")
# PostgreSQL text holds no NUL; no filter value needs a control character.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
COUNTY_ROLES = ("county_admin", "department")


class AuditRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    command_id: str
    command: str
    actor: str | None
    actor_roles: list[str]
    community_id: str | None
    county: str | None
    stream_id: str
    stream_version: int | None
    at: datetime
    outcome: Literal["accepted", "refused"]
    problem: str | None
    correlation_id: str | None


class AuditPage(BaseModel):
    """Newest first; pass `next_cursor` as `cursor` for the page after."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "command_id": "0193a7c2-5b1e-7c3d-9f00-1a2b3c4d5e6f",
                            "command": "ClaimRequest",
                            "actor": "member-0042",
                            "actor_roles": ["member"],
                            "community_id": "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11",
                            "county": "东安县",
                            "stream_id": "0193a7c2-0000-7000-8000-00000000a001",
                            "stream_version": 3,
                            "at": "2026-05-10T09:30:00Z",
                            "outcome": "accepted",
                            "problem": None,
                            "correlation_id": "5f0c6a3e-8d2b-4c1f-9e7a-2b3c4d5e6f70",
                        }
                    ],
                    "next_cursor": "1042",
                }
            ]
        },
    )

    items: list[AuditRow]
    next_cursor: str | None


def scoped(principal: Principal, community: str | None) -> audit.AuditQuery:
    """The rows this token may read, narrowed to `community` when one is asked for."""
    if principal.has_role(*COUNTY_ROLES) and principal.county is not None:
        return audit.AuditQuery(
            communities=[community] if community else None, county=principal.county
        )
    if principal.has_role(*COMMUNITY_ROLES):
        if community is None:
            return audit.AuditQuery(communities=sorted(principal.communities))
        if community in principal.communities:
            return audit.AuditQuery(communities=[community])
        raise Forbidden("this token's scope does not include that community")
    raise Forbidden("the audit trail is for community staff and the county's administrators")


def _cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    if not cursor.isdigit() or len(cursor) > 18:
        raise InvalidValue("invalid_cursor", "cursor must be a next_cursor value", field="cursor")
    return int(cursor)


def audit_router() -> APIRouter:
    router = APIRouter(tags=["audit"])

    @router.get(
        "/audit",
        summary="Every command's actor, time and outcome, per community (newest first)",
        response_model=AuditPage,
    )
    async def read_audit(
        request: Request,
        principal: CurrentPrincipal,
        community: Annotated[str | None, Query(max_length=64, pattern=PRINTABLE)] = None,
        actor: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None,
        command: Annotated[str | None, Query(max_length=100, pattern=PRINTABLE)] = None,
        since: Annotated[AwareDatetime | None, Query(description="at or after")] = None,
        until: Annotated[AwareDatetime | None, Query(description="before")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        cursor: Annotated[str | None, Query(max_length=18)] = None,
    ) -> AuditPage:
        base = scoped(principal, community)
        q = audit.AuditQuery(
            communities=base.communities,
            county=base.county,
            actor=actor,
            command=command,
            since=since,
            until=until,
            before_id=_cursor(cursor),
            limit=limit,
        )
        rows = await audit.query(request.app.state.runtime.pool, q)
        page = rows[:limit]
        return AuditPage(
            items=[
                AuditRow(
                    command_id=str(r["command_id"]),
                    command=r["command"],
                    actor=r["actor"],
                    actor_roles=list(r["actor_roles"]),
                    community_id=r["community_id"],
                    county=r["county"],
                    stream_id=r["stream_id"],
                    stream_version=r["stream_version"],
                    at=r["at"],
                    outcome=r["outcome"],
                    problem=r["problem"],
                    correlation_id=r["correlation_id"],
                )
                for r in page
            ],
            next_cursor=str(page[-1]["id"]) if len(rows) > limit else None,
        )

    return router
