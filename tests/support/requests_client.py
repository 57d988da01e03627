"""The requests service over HTTP for the e2e tests: a small neighbourhood with its whole
responsibility chain, and a client that acts as any of its people."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.org_client import Org, eventually
from tests.support.stack import Stack

ROLES = ("household", "leader", "head", "committee", "secretary", "other")


@dataclass(frozen=True)
class Neighbourhood:
    county: str
    community: str
    compound: str
    area: str
    building: str
    homes: list[str]
    branch: str
    people: dict[str, str]  # role -> member id

    @property
    def chain(self) -> list[str]:
        """The household's chain as the organisation names it, nearest first."""
        return [self.people[r] for r in ("household", "leader", "head", "committee", "secretary")]


def build_neighbourhood(org: Org, county: str) -> Neighbourhood:
    """A community with one compound, area and building, two households, and every post
    of the four-level responsibility filled."""
    community = org.community(county)
    compound = org.compound(community, "雍景园" + uuid.uuid4().hex[:4])
    area = org.area(compound, "东片区")
    building = org.building(compound, "3栋", area_id=area)
    homes = org.households(building, (1, "302"), (2, "501"))
    people = {role: org.member(community, name=f"{role}党员") for role in ROLES}
    branch = org.branch(compound, *people.values())
    org.ok("POST", f"/branches/{branch}/secretary", json={"member_id": people["secretary"]})
    org.ok(
        "POST",
        f"/branches/{branch}/committee",
        json={"member_id": people["committee"], "area_id": area},
    )
    org.ok(
        "POST",
        f"/branches/{branch}/groups",
        json={"building_id": building, "leader_member_id": people["leader"]},
    )
    org.ok(
        "POST",
        f"/buildings/{building}/households/{homes[0]}/member",
        json={"member_id": people["household"]},
    )
    org.ok("POST", f"/buildings/{building}/head", json={"member_id": people["head"]})
    return Neighbourhood(county, community, compound, area, building, homes, branch, people)


class Desk:
    """Acts on the requests service as whoever the token says."""

    def __init__(self, stack: Stack, place: Neighbourhood) -> None:
        self.stack = stack
        self.place = place
        self.http = httpx.Client(base_url=stack.url("requests"), timeout=20)

    def resident(self, subject: str = "resident-1") -> str:
        return self.stack.token("resident", subject=subject, communities=[self.place.community])

    def member(self, role: str) -> str:
        return self.stack.token("member", subject=self.place.people[role])

    def staff(self) -> str:
        return self.stack.token(
            "community_staff", subject="staff-1", communities=[self.place.community]
        )

    def department(self, code: str) -> str:
        from pathlib import Path

        from grassroots_eventkit.auth import issue_token

        private = Path(self.stack.state["jwt"]["private_key_file"]).read_text()
        return issue_token(
            private,
            subject=f"dept-{code}",
            roles=["department"],
            county=self.place.county,
            department=code,
        )

    def post(
        self, path: str, token: str, body: dict[str, Any] | None = None, *, key: str | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        if key:
            headers["Idempotency-Key"] = key
        return self.http.post(path, json=body, headers=headers)

    def get(self, path: str, token: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def ok(self, path: str, token: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.post(path, token, body)
        assert answer.status_code in (200, 201), (path, answer.status_code, answer.text)
        return answer.json()

    def refused(self, path: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, str]:
        answer = self.post(path, token, body)
        assert answer.status_code >= 400, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        return answer.status_code, answer.json()["rule"]

    def routed(self, household: str | None = None) -> list[str]:
        """Wait until the routing table knows the household's full chain; return it."""
        household = household or self.place.homes[0]

        def check() -> list[str]:
            answer = self.get("/routing", self.staff(), household_id=household)
            assert answer.status_code == 200, answer.text
            found = answer.json()["responsible_ids"]
            assert found == self.place.chain, found
            return list(found)

        return eventually(check, timeout=60)

    def submit(self, token: str | None = None, **overrides: Any) -> str:
        body = {
            "category": "repairs",
            "address": {"household_id": self.place.homes[0]},
            "text": "楼道灯坏了，晚上看不清。",
            "contact": {"name": "李秀英", "phone": "13907461234"},
            **overrides,
        }
        return str(self.ok("/requests", token or self.resident(), body)["id"])

    def view(self, request_id: str) -> dict[str, Any]:
        answer = self.get(f"/requests/{request_id}", self.staff())
        assert answer.status_code == 200, answer.text
        return dict(answer.json())
