"""Who is acting, and as what: the token's roles and scope, read against the request."""

from __future__ import annotations

from grassroots_eventkit.auth import Forbidden, Principal

from requests_service.domain.request import Actor, Request

STAFF = ("community_staff", "grid_worker")


def is_staff(principal: Principal, community_id: str, county: str) -> bool:
    """The community's own staff and grid workers, or the county's administrators.
    Role and scope go together: a department's county-wide scope makes nobody staff."""
    if principal.has_role("county_admin") and principal.county == county:
        return True
    return principal.has_role(*STAFF) and community_id in principal.communities


def require_staff(principal: Principal, community_id: str, county: str) -> Actor:
    if not is_staff(principal, community_id, county):
        raise Forbidden("only the community's staff or the county's administrators may do this")
    return Actor(kind="community", id=principal.subject)


def actor_for(principal: Principal, request: Request) -> Actor:
    """Staff first (a staff member who is also a party member acts for the community)."""
    if is_staff(principal, request.community_id, request.county):
        return Actor(kind="community", id=principal.subject)
    if (
        principal.has_role("department")
        and principal.department is not None
        and principal.county == request.county
    ):
        return Actor(kind="department", id=principal.department)
    if principal.has_role("member"):
        return Actor(kind="member", id=principal.subject)
    if principal.has_role("resident"):
        return Actor(kind="resident", id=principal.subject)
    raise Forbidden("this token's roles cannot act on requests")


def may_read(principal: Principal, request: Request) -> bool:
    """The request's text and contact: its community's staff, the resident, and those
    working on it; never another community's users or agencies."""
    if is_staff(principal, request.community_id, request.county):
        return True
    if principal.has_role("resident") and principal.subject == request.resident_id:
        return True
    if principal.has_role("member") and (
        principal.subject in request.responsible_ids
        or (request.holder is not None and request.holder.id == principal.subject)
    ):
        return True
    return (
        principal.has_role("department")
        and principal.county == request.county
        and principal.department is not None
        and principal.department == request.department
    )
