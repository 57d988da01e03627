"""Test 7: no token, a forged, expired or tampered token, and another community's token are
refused (401/403) on every route of the slice's services."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from grassroots_eventkit.auth import generate_keypair, issue_token

pytestmark = pytest.mark.e2e

OPERATIONS = {"/healthz", "/readyz", "/metrics"}
# Open311 clients authenticate with an API key, not a bearer token (tests/e2e/test_open311.py).
API_KEY_PREFIX = "/open311/"
BODIES = {
    ("post", "/communities"): {"name": "鉴权社区", "county": "东安县", "town": "白牙市镇"},
    ("post", "/communities/{community_id}/rename"): {"name": "改名社区"},
}


def _routes(stack, service: str) -> list[tuple[str, str]]:
    spec = httpx.get(f"{stack.url(service)}/openapi.json").json()
    routes = [
        (method, path)
        for path, item in spec["paths"].items()
        for method in item
        if path not in OPERATIONS and not path.startswith(API_KEY_PREFIX)
    ]
    assert routes, f"{service} exposes no routes?"
    return routes


def _call(stack, service: str, method: str, path: str, community: str, headers: dict[str, str]):
    url = stack.url(service) + path.replace("{community_id}", community)
    return httpx.request(method, url, json=BODIES.get((method, path)), headers=headers)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def header_claims(now: datetime, claims: dict[str, object]) -> dict[str, object]:
    return {
        **claims,
        "iss": "grassroots-local",
        "aud": "grassroots",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }


def _hs256(claims: dict[str, object], secret: bytes) -> str:
    """Built by hand: PyJWT itself refuses to sign HS256 with a PEM key."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    signing_input = f"{header}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _bad_tokens(stack) -> dict[str, str]:
    private_pem = Path(stack.state["jwt"]["private_key_file"]).read_text()
    public_pem = Path(stack.public_key_file).read_text()
    forged_key, _ = generate_keypair()
    claims = {"sub": "mallory", "roles": ["county_admin"], "county": "东安县"}
    now = datetime.now(UTC)
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = _b64(json.dumps(header_claims(now, claims)).encode())
    return {
        "forged": issue_token(
            forged_key, subject="mallory", roles=["county_admin"], county="东安县"
        ),
        "expired": issue_token(
            private_pem,
            subject="late",
            roles=["county_admin"],
            county="东安县",
            now=now - timedelta(hours=3),
            ttl=timedelta(hours=1),
        ),
        "alg-none": f"{header}.{body}.",
        # Key confusion: HS256 with the public key as the shared secret.
        "hs256-public-key": _hs256(header_claims(now, claims), public_pem.encode()),
        "wrong-audience": issue_token(
            private_pem,
            subject="x",
            roles=["county_admin"],
            county="东安县",
            audience="someone-else",
        ),
        "wrong-issuer": issue_token(
            private_pem, subject="x", roles=["county_admin"], county="东安县", issuer="evil"
        ),
        "garbage": "not.a.token",
    }


@pytest.fixture(scope="module")
def community(stack) -> str:
    return stack.state["demo"]["communities"]["chating"]


@pytest.mark.parametrize(
    "service", ["organisation", "requests", "volunteering", "points", "projections"]
)
def test_every_route_refuses_a_missing_or_bad_token_with_401(stack, service, community):
    bad = _bad_tokens(stack)
    for method, path in _routes(stack, service):
        missing = _call(stack, service, method, path, community, {})
        assert missing.status_code == 401, (method, path, missing.text)
        assert missing.headers["content-type"] == "application/problem+json"
        assert missing.headers["www-authenticate"].startswith("Bearer")
        for name, token in bad.items():
            answer = _call(
                stack, service, method, path, community, {"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 401, (name, method, path, answer.text)


def test_a_token_of_another_community_is_refused_with_403(stack, community):
    other = stack.state["demo"]["communities"]["shanziling"]
    staff = {"Authorization": f"Bearer {stack.token('community_staff', communities=[other])}"}
    org, pj = stack.url("organisation"), stack.url("projections")

    assert httpx.get(f"{org}/communities/{community}", headers=staff).status_code == 403
    renamed = httpx.post(
        f"{org}/communities/{community}/rename", json={"name": "夺取社区"}, headers=staff
    )
    assert renamed.status_code == 403
    assert renamed.json()["rule"] == "forbidden"
    assert httpx.get(f"{pj}/communities/{community}", headers=staff).status_code == 403
    # Registering is for the county's administrators only.
    created = httpx.post(f"{org}/communities", json=BODIES[("post", "/communities")], headers=staff)
    assert created.status_code == 403
    # The list shows only the token's own community.
    listed = httpx.get(f"{pj}/communities", headers=staff).json()["items"]
    assert [c["id"] for c in listed] == [other]


def test_a_county_admin_of_another_county_cannot_touch_this_county(stack, community):
    foreign = {"Authorization": f"Bearer {stack.token('county_admin', county='别的县')}"}
    org, pj = stack.url("organisation"), stack.url("projections")
    assert httpx.get(f"{org}/communities/{community}", headers=foreign).status_code == 403
    assert httpx.get(f"{pj}/communities/{community}", headers=foreign).status_code == 403
    body = {"name": "越权社区", "county": "东安县", "town": "白牙市镇"}
    assert httpx.post(f"{org}/communities", json=body, headers=foreign).status_code == 403
    assert all(
        c["county"] == "别的县"
        for c in httpx.get(f"{pj}/communities", headers=foreign).json()["items"]
    )


def test_the_acting_subject_is_recorded_on_the_event(stack):
    token = stack.token("county_admin", county="审计县", subject="auditor-7")
    created = httpx.post(
        f"{stack.url('organisation')}/communities",
        json={"name": "审计社区", "county": "审计县", "town": "一镇"},
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "audit-subject-1"},
    )
    assert created.status_code == 201

    async def actor() -> str:
        conn = await asyncpg.connect(stack.state["services"]["organisation"]["database"])
        try:
            return await conn.fetchval(
                "SELECT metadata->>'actor' FROM es_events WHERE stream_id = $1",
                created.json()["id"],
            )
        finally:
            await conn.close()

    assert asyncio.run(actor()) == "auditor-7"
