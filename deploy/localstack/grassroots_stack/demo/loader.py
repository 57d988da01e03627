"""Loads the demo through the services' HTTP APIs, as a county administrator would."""

from __future__ import annotations

import time

import httpx
import structlog

from grassroots_stack.demo import dongan

log = structlog.get_logger()


def load(
    organisation_url: str, projections_url: str, token: str, timeout: float = 30.0
) -> dict[str, str]:
    """Register the demo communities (idempotently) and wait until the county list shows them."""
    headers = {"Authorization": f"Bearer {token}"}
    ids: dict[str, str] = {}
    with httpx.Client(base_url=organisation_url, headers=headers, timeout=10.0) as org:
        for community in dongan.COMMUNITIES:
            response = org.post(
                "/communities",
                json={"name": community.name, "county": dongan.COUNTY, "town": community.town},
                # A second `make up` replays the first answer instead of failing on the name.
                headers={"Idempotency-Key": f"demo-community-{community.key}"},
            )
            response.raise_for_status()
            ids[community.key] = response.json()["id"]
    deadline = time.monotonic() + timeout
    with httpx.Client(base_url=projections_url, headers=headers, timeout=10.0) as pj:
        while True:
            seen = {c["id"] for c in pj.get("/communities").raise_for_status().json()["items"]}
            if set(ids.values()) <= seen:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("the demo communities did not reach the projections in time")
            time.sleep(0.2)
    log.info("demo.loaded", communities=len(ids))
    return ids
