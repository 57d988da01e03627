"""Who may change what: the checks every organisation handler shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from grassroots_eventkit.auth import Principal

# The community's own staff, and the county's administrators, run the grid and the party
# organisation; everyone else reads what their scope allows.
MANAGERS = ("county_admin", "community_staff")


class Scoped(Protocol):
    @property
    def community_id(self) -> str: ...

    @property
    def county(self) -> str: ...


def require_manager(principal: Principal, community_id: str, county: str) -> None:
    principal.require_role(*MANAGERS)
    principal.require_access(community_id, county)


def managed_by(principal: Principal) -> Callable[[Any], None]:
    """An `authorize(state)` for an existing aggregate that knows its community and county.
    A missing aggregate passes here and is refused as not found by `decide`."""

    def authorize(state: Scoped | None) -> None:
        if state is not None:
            require_manager(principal, state.community_id, state.county)

    return authorize
