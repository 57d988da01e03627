"""Erasing a resident on the running stack: before, their name, phone and words are
readable by staff; after, they cannot be found or recovered anywhere: not in any
service's database (pg_dump of each), not even with the master key and every wrapped
key in hand, not on any Kafka topic, not in any log. The requests still load, replay in a fresh
process and show placeholders; another resident's data is untouched."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import asyncpg
import httpx
import pytest
from aiokafka.admin import AIOKafkaAdminClient
from grassroots_contracts.requests import lifecycle as pub
from grassroots_contracts.topics import REQUESTS_EVENTS
from grassroots_eventkit.kafka import client_security
from grassroots_eventkit.personal import ERASED_TEXT, MasterKey
from grassroots_eventkit.personal.cipher import Tampered, open_blob, parse_master_key

from tests.e2e.test_requests_timer_restart import _free_port
from tests.support.kafka import read_until
from tests.support.org_client import Org, eventually
from tests.support.requests_client import Desk, Neighbourhood, build_neighbourhood
from tests.support.stack import ROOT

pytestmark = pytest.mark.e2e

COUNTY = "删除县"


@pytest.fixture(scope="module")
def place(stack) -> Neighbourhood:
    org = Org(stack, stack.token("county_admin", county=COUNTY, subject="erasure-admin"))
    return build_neighbourhood(org, COUNTY)


@pytest.fixture(scope="module")
def desk(stack, place) -> Desk:
    desk = Desk(stack, place)
    desk.routed()
    return desk


class Person:
    """A resident with a name, phone and words no one else has."""

    def __init__(self) -> None:
        tag = secrets.token_hex(4)
        self.resident_id = f"res-erase-{tag}"
        self.name = "司徒" + "".join(secrets.choice("雨蘅瑾萱琰珏霁篁") for _ in range(3))
        self.phone = "139" + "".join(secrets.choice("0123456789") for _ in range(8))
        self.marker = f"漏水标记{tag}"

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.name, self.phone, self.marker)


def _life_of_a_request(desk: Desk, person: Person) -> str:
    """Submitted with contact, text and a photo; noted, resolved and rated with words that
    carry the person's name and phone."""
    resident = desk.resident(person.resident_id)
    rid = desk.submit(
        resident,
        text=f"{person.marker}：三楼卫生间漏水到楼下，联系{person.name}",
        contact={"name": person.name, "phone": person.phone},
        photos=[f"https://files.example.cn/{person.marker}.jpg"],
    )
    member = desk.member("household")
    desk.ok(f"/requests/{rid}/claim", member)
    desk.ok(f"/requests/{rid}/notes", member, {"note": f"已电话{person.phone}约好上门"})
    desk.ok(f"/requests/{rid}/resolve", member, {"resolution": f"{person.name}家已修好"})
    desk.ok(f"/requests/{rid}/rating", resident, {"rating": "satisfied", "comment": person.marker})
    return rid


def _dump(stack, database: str) -> bytes:
    """Everything a database holds, as pg_dump writes it (every table, data included)."""
    pg_dump = shutil.which("pg_dump") or "pg_dump"
    done = subprocess.run(
        [pg_dump, "--data-only", stack.dsn(database)], capture_output=True, check=True, timeout=120
    )
    return done.stdout


async def _every_topic(stack) -> dict[str, bytes]:
    security = stack.kafka_security
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka, **client_security(security))
    await admin.start()
    try:
        topics = [t for t in await admin.list_topics() if not t.startswith("__")]
    finally:
        await admin.close()
    found: dict[str, bytes] = {}
    for topic in topics:
        records = await read_until(stack.kafka, topic, expected=0, timeout=60, security=security)
        found[topic] = b"".join(
            (r.key or b"") + (r.value or b"") + b"".join(v for _, v in r.headers) for r in records
        )
    return found


async def _openable(stack, master: MasterKey) -> str:
    conn = await asyncpg.connect(stack.dsn("requests"))
    try:
        keys = {
            r["subject_id"]: master.unwrap(r["subject_id"], bytes(r["wrapped_key"]))
            for r in await conn.fetch(
                "SELECT subject_id, wrapped_key FROM ek_subject_keys WHERE wrapped_key IS NOT NULL"
            )
        }
        rows = await conn.fetch(
            "SELECT event_id, data->'$personal' AS sealed FROM es_events WHERE data ? '$personal'"
        )
    finally:
        await conn.close()
    opened = []
    for row in rows:
        envelope = json.loads(row["sealed"])
        if envelope["sealed"] is None:
            continue
        # A blob whose subject still has a key opens with it; one whose key was shredded
        # must open with none, so it is tried with every key the vault still has (every
        # blob with every key grows with the square of the data: a stack that ran the
        # load for a while holds thousands of residents).
        own = keys.get(envelope.get("subject"))
        for key in [own] if own is not None else keys.values():
            try:
                opened.append(open_blob(key, envelope["sealed"], str(row["event_id"])).decode())
            except Tampered:
                continue
    return "\n".join(opened)


def _recoverable(stack) -> str:
    """What someone holding the database *and* the master key could still open: every
    sealed blob decrypted with every key the vault still has."""
    master = MasterKey(parse_master_key(Path(stack.personal_data_key_file).read_text()))
    return asyncio.run(_openable(stack, master))


def test_an_erased_residents_name_and_phone_cannot_be_found_or_recovered_anywhere(stack, desk):
    person, neighbour = Person(), Person()
    erased = [_life_of_a_request(desk, person), _life_of_a_request(desk, person)]
    kept = _life_of_a_request(desk, neighbour)
    staff = desk.staff()

    shown = desk.view(erased[0])
    assert shown["contact"] == {"name": person.name, "phone": person.phone}
    assert person.marker in shown["text"]
    before = _recoverable(stack)
    assert all(s in before for s in person.secrets)  # the proof below can find them

    other_staff = stack.token("community_staff", subject="s-x", communities=["elsewhere"])
    path = f"/residents/{person.resident_id}/erase"
    assert desk.refused(path, other_staff) == (403, "forbidden")
    assert desk.refused("/residents/res-nobody/erase", staff) == (404, "resident_not_found")
    first = desk.post(path, staff)
    assert first.status_code == 201, first.text
    again = desk.post(path, staff)
    assert (again.status_code, again.json()) == (200, first.json())

    # The requests still load, with placeholders; the neighbour's are untouched.
    for rid in erased:
        view = desk.view(rid)
        assert (view["text"], view["contact"], view["photos"]) == (ERASED_TEXT, None, [])
        assert (view["status"], view["resident_id"]) == ("closed", person.resident_id)
        history = desk.get(f"/requests/{rid}/history", staff).json()
        assert [h["event"] for h in history][-3:] == [
            "RequestResolved",
            "RequestRated",
            "RequestClosed",
        ]
        text = json.dumps(history, ensure_ascii=False)
        assert [s for s in person.secrets if s in text] == []
        assert ERASED_TEXT in text
    assert desk.view(kept)["contact"] == {"name": neighbour.name, "phone": neighbour.phone}

    # Not recoverable even with the master key and every key left in the vault.
    after = _recoverable(stack)
    assert [s for s in person.secrets if s in after] == []
    assert all(s in after for s in neighbour.secrets)

    # Not in any service's database, whatever table (store, outbox, read models, keys).
    for database in ("requests", "projections", "organisation", "volunteering", "points"):
        dump = _dump(stack, database)
        assert dump, database
        leaked = [s for s in person.secrets if s.encode() in dump]
        assert leaked == [], database
    assert person.resident_id.encode() in _dump(stack, "requests")  # an opaque id stays

    # Nor in any process's log (PostgreSQL's and Kafka's included).
    for log in Path(stack.state["logs"]).glob("*.log"):
        content = log.read_bytes()
        assert [s for s in person.secrets if s.encode() in content] == [], log.name

    # Not on any topic, from the beginning; the erasure itself is published.
    def published() -> dict[str, bytes]:
        topics = asyncio.run(_every_topic(stack))
        assert pub.ResidentErased.event_type.encode() in topics[REQUESTS_EVENTS.name]
        assert person.resident_id.encode() in topics[REQUESTS_EVENTS.name]
        return topics

    topics = eventually(published, timeout=60)
    for topic, content in topics.items():
        for secret in (*person.secrets, *neighbour.secrets):
            assert secret.encode() not in content, (topic, secret)


def test_a_hotline_callers_contact_is_erased_with_their_request_alone(stack, desk):
    caller, resident = Person(), Person()
    staff = desk.staff()
    rid = desk.submit(
        staff,
        channel="hotline",
        text=f"{caller.marker}：路灯不亮",
        contact={"name": caller.name, "phone": caller.phone},
    )
    desk.ok(f"/requests/{rid}/notes", desk.member("household"), {"note": caller.phone})
    assert desk.view(rid)["contact"] == {"name": caller.name, "phone": caller.phone}
    owned = _life_of_a_request(desk, resident)

    path = f"/requests/{rid}/erase-personal-data"
    member = desk.member("household")
    assert desk.refused(path, member) == (403, "forbidden")
    assert desk.refused(f"/requests/{owned}/erase-personal-data", staff) == (
        409,
        "request_has_resident",
    )
    first = desk.post(path, staff)
    assert first.status_code == 201, first.text
    assert desk.post(path, staff).json() == first.json()

    view = desk.view(rid)
    assert (view["text"], view["contact"], view["status"]) == (ERASED_TEXT, None, "open")
    history = json.dumps(desk.get(f"/requests/{rid}/history", staff).json(), ensure_ascii=False)
    assert [s for s in caller.secrets if s in history] == []
    assert [s for s in caller.secrets if s in _recoverable(stack)] == []
    assert [s for s in caller.secrets if s.encode() in _dump(stack, "requests")] == []
    assert desk.view(owned)["contact"]["name"] == resident.name
    # The request goes on: its member can still resolve it.
    desk.ok(f"/requests/{rid}/claim", member)
    desk.ok(f"/requests/{rid}/resolve", member, {"resolution": f"修好了，{caller.name}"})
    resolved = json.dumps(desk.get(f"/requests/{rid}/history", staff).json(), ensure_ascii=False)
    assert caller.name not in resolved  # written after the erasure: dropped at the door


def _process(stack, log: Path, key_file: str) -> tuple[subprocess.Popen[bytes], str]:
    """Another instance of the requests service on the stack's own database (api only)."""
    port = _free_port()
    env = {
        **os.environ,
        "GRASSROOTS_SERVICE_NAME": "requests",
        "GRASSROOTS_PG_DSN": stack.dsn("requests"),
        "GRASSROOTS_KAFKA_BOOTSTRAP": stack.kafka,
        "GRASSROOTS_HTTP_HOST": "127.0.0.1",
        "GRASSROOTS_HTTP_PORT": str(port),
        "GRASSROOTS_ROLES": '["api"]',
        "GRASSROOTS_CREATE_TOPICS": "false",
        "GRASSROOTS_JWT_PUBLIC_KEY_FILE": stack.public_key_file,
        "GRASSROOTS_PERSONAL_DATA_KEY_FILE": key_file,
        "PYTHONUNBUFFERED": "1",
        **stack.kafka_env("service-requests"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "requests_service"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    return proc, f"http://127.0.0.1:{port}"


def test_a_fresh_process_replays_an_erased_residents_requests_and_refuses_a_wrong_master_key(
    stack, desk, tmp_path
):
    person = Person()
    rid = _life_of_a_request(desk, person)
    desk.ok(f"/residents/{person.resident_id}/erase", desk.staff())

    proc, url = _process(stack, tmp_path / "requests.log", stack.personal_data_key_file)
    try:
        headers = {"Authorization": f"Bearer {desk.staff()}"}

        def view() -> dict:
            assert proc.poll() is None, (tmp_path / "requests.log").read_text()[-2000:]
            try:
                answer = httpx.get(f"{url}/requests/{rid}", headers=headers, timeout=5)
            except httpx.HTTPError as exc:
                raise AssertionError(str(exc)) from exc
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        replayed = eventually(view, timeout=90, interval=0.25)
        assert (replayed["text"], replayed["contact"], replayed["status"]) == (
            ERASED_TEXT,
            None,
            "closed",
        )
        history = httpx.get(f"{url}/requests/{rid}/history", headers=headers).json()
        assert len(history) == 7
        assert person.name not in json.dumps(history, ensure_ascii=False)
    finally:
        proc.terminate()
        proc.wait(30)

    wrong = tmp_path / "wrong.key"
    wrong.write_text(base64.b64encode(os.urandom(32)).decode())
    refused, _ = _process(stack, tmp_path / "wrong.log", str(wrong))
    try:
        assert refused.wait(90) != 0
    finally:
        if refused.poll() is None:
            refused.kill()
    assert "WrongMasterKey" in (tmp_path / "wrong.log").read_text()
