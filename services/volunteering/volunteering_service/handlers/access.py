"""Who may act: the community's staff for the community, a member for themselves."""

from __future__ import annotations

import asyncpg
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.domain import InvalidValue, NotFound

from volunteering_service.views import directory_model

STAFF = ("community_staff", "grid_worker")


def is_staff(principal: Principal, community_id: str, county: str) -> bool:
    """The community's staff and grid workers, or the county's administrators."""
    if principal.has_role("county_admin") and principal.county == county:
        return True
    return principal.has_role(*STAFF) and community_id in principal.communities


def require_staff(principal: Principal, community_id: str, county: str) -> None:
    if not is_staff(principal, community_id, county):
        raise Forbidden("only the community's staff or the county's administrators may do this")


async def community_county(db: asyncpg.Pool, community_id: str, *, field: str) -> str:
    county = await directory_model.county_of(db, community_id)
    if county is None:
        raise NotFound("community_not_found", f"no community {community_id} (yet)")
    return county


async def acting_member(
    db: asyncpg.Pool,
    principal: Principal,
    member_id: str | None,
    community_id: str,
    county: str,
) -> tuple[str, bool]:
    """(the member acted for, whether staff act for them). A member acts for themselves;
    staff for any member of the county's directory."""
    if is_staff(principal, community_id, county):
        if member_id is None:
            raise InvalidValue("member_required", "name the member", field="member_id")
        if not await directory_model.member_known(db, member_id):
            raise InvalidValue("unknown_member", f"no party member {member_id}", field="member_id")
        return member_id, True
    if not principal.has_role("member"):
        raise Forbidden("a member acts for themselves; staff for the community's members")
    if member_id not in (None, principal.subject):
        raise Forbidden("a member acts only for themselves")
    if not await directory_model.member_known(db, principal.subject):
        raise Forbidden("this token's subject is not a registered party member")
    return principal.subject, False
