"""Choosing who a request goes to, from the responsibility chain of its address."""

from __future__ import annotations

from collections.abc import Sequence

from requests_service.domain.request import Route


def route_for(chain: Sequence[tuple[str, str]]) -> Route:
    """Everyone on the chain may claim it, nearest first; the level is the nearest one's.
    An address nobody answers for goes to the community's staff."""
    if not chain:
        return Route(level="community", responsible_ids=())
    ids = tuple(dict.fromkeys(member_id for _, member_id in chain))
    return Route(level=chain[0][0], responsible_ids=ids)
