"""The durable deadline timer across real restarts: a second requests service process (its
own database and consumer groups, on the stack's Kafka) is SIGKILLed right after a
submission, the response deadline passes while it is down, and after the restart the
deadline is raised exactly once; a second kill and restart raise nothing more."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest
from grassroots_contracts.topics import dead_letter_spec
from grassroots_eventkit.kafka import ensure_topics
from requests_service.views.request_model import GROUP as READ_MODEL_GROUP
from requests_service.views.routing_model import GROUP as ROUTING_GROUP

from tests.support.org_client import Org, eventually
from tests.support.requests_client import build_neighbourhood
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e

COUNTY = "定时重启县"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServiceProcess:
    """`python -m requests_service` with a short response deadline for repairs."""

    def __init__(self, stack, dsn: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        suffix = f".restart-{uuid.uuid4().hex[:8]}"
        # Its groups' dead-letter topics, as a deployment that does not create topics has
        # them: the topics may hold poison records (`grassroots chaos` leaves some).
        asyncio.run(
            ensure_topics(
                stack.kafka,
                [dead_letter_spec(group + suffix) for group in (ROUTING_GROUP, READ_MODEL_GROUP)],
                security=stack.kafka_security,
            )
        )
        self.env = {
            **os.environ,
            "GRASSROOTS_SERVICE_NAME": "requests",
            "GRASSROOTS_PG_DSN": dsn,
            "GRASSROOTS_KAFKA_BOOTSTRAP": stack.kafka,
            # The requests service's own principal: its groups (any suffix) are its own.
            **stack.kafka_env("service-requests"),
            "GRASSROOTS_HTTP_HOST": "127.0.0.1",
            "GRASSROOTS_HTTP_PORT": str(self.port),
            "GRASSROOTS_JWT_PUBLIC_KEY_FILE": stack.public_key_file,
            "GRASSROOTS_PERSONAL_DATA_KEY_FILE": stack.personal_data_key_file,
            "GRASSROOTS_CONSUMER_GROUP_SUFFIX": suffix,
            "GRASSROOTS_CREATE_TOPICS": "false",
            "GRASSROOTS_TIMER_POLL_S": "0.2",
            "GRASSROOTS_DEADLINE_OVERRIDES": json.dumps(
                {"repairs": {"respond_within": "PT4S", "resolve_within": "PT1H"}}
            ),
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "requests_service"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

        def ready() -> None:
            assert self.proc is not None
            assert self.proc.poll() is None, f"the service exited; see {self.log}"
            try:
                status = httpx.get(f"{self.url}/readyz", timeout=1).status_code
            except httpx.HTTPError:
                status = 0
            assert status == 200

        eventually(ready, timeout=90, interval=0.25)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


def _stored(dsn: str, request_id: str) -> list[tuple[str, dict]]:
    async def run() -> list[tuple[str, dict]]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT event_type, data FROM es_events WHERE stream_id = $1 ORDER BY version",
                request_id,
            )
            return [(r["event_type"].split(".")[0], json.loads(r["data"])) for r in rows]
        finally:
            await conn.close()

    return asyncio.run(run())


def _due(dsn: str, request_id: str) -> list[str]:
    async def run() -> list[str]:
        conn = await asyncpg.connect(dsn)
        try:
            rows = await conn.fetch(
                "SELECT deadline FROM rq_timers WHERE request_id = $1", request_id
            )
            return [r["deadline"] for r in rows]
        finally:
            await conn.close()

    return asyncio.run(run())


def _drop(stack, name: str) -> None:
    async def run() -> None:
        admin = await asyncpg.connect(stack.postgres)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(run())


def test_a_deadline_missed_while_the_service_was_killed_is_raised_once_after_restarts(
    stack, tmp_path
):
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="restart-admin"))
    place = build_neighbourhood(org, COUNTY)
    name = f"t_restart_{uuid.uuid4().hex[:8]}"
    dsn = stack.dsn(name)
    service = ServiceProcess(stack, dsn, tmp_path / "requests.log")
    try:
        service.start()
        staff = stack.token("community_staff", communities=[place.community])
        resident = stack.token("resident", subject="r-restart", communities=[place.community])
        http = httpx.Client(base_url=service.url, timeout=20)

        def routed() -> None:  # its own routing table catches up from offset 0
            answer = http.get(
                "/routing",
                params={"household_id": place.homes[0]},
                headers={"Authorization": f"Bearer {staff}"},
            )
            assert answer.status_code == 200, answer.text

        eventually(routed, timeout=120, interval=0.5)
        submitted = http.post(
            "/requests",
            json={
                "category": "repairs",
                "address": {"household_id": place.homes[0]},
                "text": "楼道灯坏了",
            },
            headers={"Authorization": f"Bearer {resident}"},
        )
        assert submitted.status_code == 201, submitted.text
        request_id = submitted.json()["id"]

        def timer_row() -> None:  # the read model has the deadline on file
            assert "response" in _due(dsn, request_id)

        eventually(timer_row, timeout=30)
        service.kill()  # SIGKILL: no graceful shutdown
        time.sleep(6)  # the 4 s response deadline passes while nothing runs

        service.start()

        def raised() -> list[tuple[str, dict]]:
            found = _stored(dsn, request_id)
            assert [e for e, _ in found].count("DeadlineMissed") == 1, found
            return found

        found = eventually(raised, timeout=60, interval=0.25)
        missed = [d for e, d in found if e == "DeadlineMissed"]
        assert missed[0]["deadline"] == "response"
        escalated = [d for e, d in found if e == "RequestEscalated"]
        assert len(escalated) == 1
        assert escalated[0]["automatic"] is True

        service.kill()
        service.start()
        time.sleep(2)  # several timer polls
        after = [e for e, _ in _stored(dsn, request_id)]
        assert after.count("DeadlineMissed") == 1
        assert after.count("RequestEscalated") == 1
    finally:
        service.stop()
        _drop(stack, name)
