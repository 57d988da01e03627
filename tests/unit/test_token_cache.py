"""The verifier remembers tokens it verified, but never past their expiry."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from grassroots_eventkit.auth import TokenVerifier, Unauthorized, generate_keypair, issue_token

pytestmark = pytest.mark.unit


def _verifier(public: str, *, cache_size: int = 10) -> TokenVerifier:
    return TokenVerifier(
        public,
        algorithms=("EdDSA",),
        issuer="grassroots-local",
        audience="grassroots",
        leeway_s=0,
        cache_size=cache_size,
    )


def test_a_remembered_token_is_refused_once_it_expires():
    private, public = generate_keypair()
    verifier = _verifier(public)
    token = issue_token(private, subject="s", roles=["resident"], ttl=timedelta(seconds=1))
    assert verifier.verify(token).subject == "s"
    assert verifier.verify(token).subject == "s"  # from memory
    time.sleep(2.1)
    with pytest.raises(Unauthorized, match="expired"):
        verifier.verify(token)


def test_a_forged_token_is_refused_even_when_a_genuine_one_is_remembered():
    private, public = generate_keypair()
    forger, _ = generate_keypair()
    verifier = _verifier(public)
    genuine = issue_token(private, subject="s", roles=["resident"])
    forged = issue_token(forger, subject="s", roles=["county_admin"], county="东安县")
    assert verifier.verify(genuine).roles == frozenset({"resident"})
    with pytest.raises(Unauthorized):
        verifier.verify(forged)


def test_the_memory_keeps_only_the_most_recent_tokens():
    private, public = generate_keypair()
    verifier = _verifier(public, cache_size=2)
    tokens = [issue_token(private, subject=f"s{n}", roles=["resident"]) for n in range(3)]
    for token in tokens:
        verifier.verify(token)
    assert len(verifier._verified) == 2
    assert [p.subject for p, _ in verifier._verified.values()] == ["s1", "s2"]
