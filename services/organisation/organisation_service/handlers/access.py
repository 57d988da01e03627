"""Who may change what: the checks every organisation handler shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from grassroots_eventkit.auth import Forbidden, Principal

# The community's own staff, and the county's administrators, run the grid and the party
# organisation; everyone else reads what their scope allows.
MANAGERS = ("county_admin", "community_staff")


class Scoped(Protocol):
    @property
    def community_id(self) -> str: ...

    @property
    def county(self) -> str: ...


def require_manager(principal: Principal, community_id: str, county: str) -> None:
    """The county's administrators, or this community's own staff. Role and scope are
    checked together: staff of one community who also hold a county-wide role (say,
    a department's) do not become staff of every community."""
    principal.require_role(*MANAGERS)
    if principal.has_role("county_admin") and principal.county == county:
        return
    if principal.has_role("community_staff") and community_id in principal.communities:
        return
    raise Forbidden("this token's scope does not include that community")


def managed_by(principal: Principal) -> Callable[[Any], None]:
    """An `authorize(state)` for an existing aggregate that knows its community and county.
    A missing aggregate passes here and is refused as not found by `decide`."""

    def authorize(state: Scoped | None) -> None:
        if state is not None:
            require_manager(principal, state.community_id, state.county)

    return authorize
