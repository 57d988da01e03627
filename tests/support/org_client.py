"""A thin client over the organisation service's HTTP API, for the e2e tests."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from tests.support.stack import Stack


class Org:
    def __init__(self, stack: Stack, token: str) -> None:
        self.http = httpx.Client(
            base_url=stack.url("organisation"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=20,
        )

    def ok(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        response = self.http.request(method, path, **kw)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        return response.json()

    def community(self, county: str) -> str:
        name = f"测试{uuid.uuid4().hex[:6]}社区"
        return self.ok(
            "POST", "/communities", json={"name": name, "county": county, "town": "一镇"}
        )["id"]

    def compound(self, community_id: str, name: str | None = None) -> str:
        name = name or f"小区{uuid.uuid4().hex[:6]}"
        return self.ok("POST", f"/communities/{community_id}/compounds", json={"name": name})["id"]

    def area(self, compound_id: str, name: str) -> str:
        return self.ok("POST", f"/compounds/{compound_id}/areas", json={"name": name})["area_id"]

    def building(
        self, compound_id: str, name: str, *, units: int = 2, area_id: str | None = None
    ) -> str:
        return self.ok(
            "POST",
            f"/compounds/{compound_id}/buildings",
            json={"name": name, "units": units, "area_id": area_id},
        )["id"]

    def households(self, building_id: str, *positions: tuple[int, str]) -> list[str]:
        return self.ok(
            "POST",
            f"/buildings/{building_id}/households",
            json={"households": [{"unit": u, "room": r} for u, r in positions]},
        )["household_ids"]

    def member(
        self,
        community_id: str,
        *,
        kind: str = "in_service",
        building_id: str | None = None,
        household_id: str | None = None,
        contact: str | None = None,
        name: str = "张伟",
    ) -> str:
        body = {
            "name": name,
            "phone": "13907460001",
            "kind": kind,
            "residence": {
                "community_id": community_id,
                "building_id": building_id,
                "household_id": household_id,
            },
            "contact_community_id": contact,
        }
        return self.ok("POST", "/members", json=body)["id"]

    def branch(self, compound_id: str, *members: str) -> str:
        branch_id = self.ok("POST", f"/compounds/{compound_id}/branch")["id"]
        for m in members:
            self.ok("POST", f"/branches/{branch_id}/members", json={"member_id": m})
        return branch_id


def eventually(check, timeout: float = 15.0, interval: float = 0.1):  # type: ignore[no-untyped-def]
    """The read models follow the events within moments; poll until they have."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)
