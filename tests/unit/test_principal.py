"""Who may see and change which community's data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from grassroots_eventkit.auth import (
    Forbidden,
    Principal,
    TokenVerifier,
    Unauthorized,
    generate_keypair,
    issue_token,
)
from grassroots_eventkit.settings import ServiceSettings
from pydantic import ValidationError

pytestmark = pytest.mark.unit


def test_a_community_scoped_token_sees_only_its_own_communities():
    staff = Principal(
        subject="s", roles=frozenset({"community_staff"}), communities=frozenset({"a"})
    )
    assert staff.can_access("a", "东安县")
    assert not staff.can_access("b", "东安县")
    with pytest.raises(Forbidden):
        staff.require_access("b", "东安县")


def test_a_county_wide_role_sees_every_community_of_its_county_only():
    admin = Principal(subject="s", roles=frozenset({"county_admin"}), county="东安县")
    assert admin.can_access("any", "东安县")
    assert not admin.can_access("any", "别的县")
    assert not admin.can_access("any", None)


def test_a_county_claim_gives_nothing_to_a_community_role():
    resident = Principal(subject="s", roles=frozenset({"resident"}), county="东安县")
    assert not resident.county_wide
    assert not resident.can_access("any", "东安县")


def test_a_role_check_refuses_when_the_token_lacks_the_role():
    member = Principal(subject="s", roles=frozenset({"member"}))
    with pytest.raises(Forbidden, match="county_admin"):
        member.require_role("county_admin")


def _verifier(public_pem: str) -> TokenVerifier:
    return TokenVerifier(
        public_pem, algorithms=("EdDSA",), issuer="grassroots-local", audience="grassroots"
    )


def test_a_token_from_the_issuer_verifies_to_its_principal():
    private, public = generate_keypair()
    token = issue_token(private, subject="u1", roles=["community_staff"], communities=["a", "b"])
    principal = _verifier(public).verify(token)
    assert principal == Principal(
        subject="u1", roles=frozenset({"community_staff"}), communities=frozenset({"a", "b"})
    )


@pytest.mark.parametrize(
    "token_of",
    [
        lambda priv, other: issue_token(other, subject="u", roles=["resident"]),
        lambda priv, other: issue_token(
            priv, subject="u", roles=["resident"], ttl=timedelta(seconds=-60)
        ),
        lambda priv, other: issue_token(priv, subject="u", roles=["resident"], audience="x"),
        lambda priv, other: "a.b.c",
    ],
    ids=["forged", "expired", "audience", "garbage"],
)
def test_a_token_is_refused_when_forged_expired_or_for_someone_else(token_of):
    private, public = generate_keypair()
    other, _ = generate_keypair()
    with pytest.raises(Unauthorized):
        _verifier(public).verify(token_of(private, other))


def test_a_token_with_an_unknown_role_is_refused():
    private, _public = generate_keypair()
    with pytest.raises(ValueError, match="unknown roles"):
        issue_token(private, subject="u", roles=["emperor"])


def test_settings_refuse_symmetric_or_none_algorithms():
    for algorithms in (("HS256",), ("none",), ()):
        with pytest.raises(ValidationError):
            ServiceSettings(service_name="x", pg_dsn="postgresql://x/y", jwt_algorithms=algorithms)
