"""HTTP instances of a service are stateless: a second requests service process (api role
only, the same database) behind "any balancer" gives the same answers as the first, a
request's life may hop between them, and one Idempotency-Key sent to both at once makes
one request (issue 9: scale out, for real)."""

from __future__ import annotations

import concurrent.futures
import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, build_neighbourhood
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e

COUNTY = "双实例县"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def second(stack, tmp_path_factory) -> Iterator[str]:
    """Another `python -m requests_service`, API only, on the stack's requests database."""
    port = _free_port()
    log = Path(tmp_path_factory.mktemp("second")) / "requests.log"
    env = {
        **os.environ,
        "GRASSROOTS_SERVICE_NAME": "requests",
        "GRASSROOTS_PG_DSN": stack.dsn("requests"),
        "GRASSROOTS_KAFKA_BOOTSTRAP": stack.kafka,
        **stack.kafka_env("service-requests"),
        "GRASSROOTS_HTTP_HOST": "127.0.0.1",
        "GRASSROOTS_HTTP_PORT": str(port),
        "GRASSROOTS_ROLES": '["api"]',
        "GRASSROOTS_CREATE_TOPICS": "false",
        "GRASSROOTS_JWT_PUBLIC_KEY_FILE": stack.public_key_file,
        "GRASSROOTS_PERSONAL_DATA_KEY_FILE": stack.personal_data_key_file,
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "requests_service"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def ready() -> None:
        assert proc.poll() is None, f"the second instance exited; see {log}"
        try:
            status = httpx.get(f"{url}/readyz", timeout=1).status_code
        except httpx.HTTPError:
            status = 0
        assert status == 200

    try:
        eventually(ready, timeout=90, interval=0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def desk(stack) -> Desk:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="stateless-admin"))
    desk = Desk(stack, build_neighbourhood(org, COUNTY))
    desk.routed()
    return desk


def _call(base: str, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}", **kwargs.pop("headers", {})}
    return httpx.request(method, f"{base}{path}", headers=headers, timeout=30, **kwargs)


def test_a_requests_life_hops_between_instances_and_both_tell_the_same_story(stack, desk, second):
    first = stack.url("requests")
    rid = desk.submit()
    member = desk.member("household")
    staff = desk.staff()

    claimed = _call(second, "POST", f"/requests/{rid}/claim", member)
    assert claimed.status_code in (200, 201), claimed.text
    resolved = _call(
        first, "POST", f"/requests/{rid}/resolve", member, json={"resolution": "灯换好了。"}
    )
    assert resolved.status_code in (200, 201), resolved.text
    rated = _call(
        second,
        "POST",
        f"/requests/{rid}/rating",
        desk.resident(),
        json={"rating": "satisfied", "comment": "谢谢"},
    )
    assert rated.status_code in (200, 201), rated.text

    for path in (f"/requests/{rid}", f"/requests/{rid}/history"):
        a = _call(first, "GET", path, staff)
        b = _call(second, "GET", path, staff)
        assert a.status_code == b.status_code == 200, (a.text, b.text)
        assert a.json() == b.json()
    history = _call(second, "GET", f"/requests/{rid}/history", staff).json()
    assert history, "the history has the request's events"


def test_one_idempotency_key_sent_to_both_instances_at_once_makes_one_request(stack, desk, second):
    first = stack.url("requests")
    token = desk.resident(subject=f"resident-{uuid.uuid4().hex[:6]}")
    body = {
        "category": "sanitation",
        "address": {"household_id": desk.place.homes[0]},
        "text": "垃圾桶满了。",
        "contact": {"name": "王芳", "phone": "13907460000"},
    }
    key = {"Idempotency-Key": f"both-{uuid.uuid4().hex}"}
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda base: _call(base, "POST", "/requests", token, json=body, headers=key),
                [first, second] * 4,
            )
        )
    assert all(a.status_code in (200, 201) for a in answers), [a.text for a in answers]
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1, ids
    assert [a.status_code for a in answers].count(201) >= 1
    shown = _call(first, "GET", f"/requests/{ids.pop()}", desk.staff())
    assert shown.status_code == 200, shown.text
