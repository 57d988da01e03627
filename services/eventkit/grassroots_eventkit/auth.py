"""Identity: bearer JWTs with an asymmetric signature, roles and a community scope.

A token carries `sub`, `roles`, and its scope: `communities` (ids it may act in)
and, for county-wide roles, `county`. The algorithms come from settings, never
from the token header. Every event records the acting subject.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel, ConfigDict, ValidationError

RoleName = Literal[
    "resident", "member", "grid_worker", "community_staff", "department", "county_admin", "agency"
]
ROLES: frozenset[str] = frozenset(get_args(RoleName))
# Roles whose scope is a whole county rather than a list of communities.
COUNTY_WIDE_ROLES: frozenset[str] = frozenset({"county_admin", "department", "agency"})


class Unauthorized(Exception):
    """No usable credentials: 401."""


class Forbidden(Exception):
    """Authenticated, but not allowed here: 403."""


class Principal(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    subject: str
    roles: frozenset[RoleName]
    county: str | None = None
    communities: frozenset[str] = frozenset()
    # A county department's code (public_security, health ...) for `department` tokens.
    department: str | None = None

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def county_wide(self) -> bool:
        return self.county is not None and bool(self.roles & COUNTY_WIDE_ROLES)

    def can_access(self, community_id: str, county: str | None) -> bool:
        """A community's data is visible to its own scope, or to its county's county-wide roles."""
        if community_id in self.communities:
            return True
        return self.county_wide and county is not None and county == self.county

    def require_role(self, *roles: str) -> None:
        if not self.has_role(*roles):
            raise Forbidden(f"requires one of the roles: {', '.join(roles)}")

    def require_access(self, community_id: str, county: str | None) -> None:
        if not self.can_access(community_id, county):
            raise Forbidden("this token's scope does not include that community")


class TokenVerifier:
    def __init__(
        self,
        public_key_pem: str,
        *,
        algorithms: tuple[str, ...],
        issuer: str,
        audience: str,
        leeway_s: int = 30,
        cache_size: int = 10_000,
    ) -> None:
        self._key = serialization.load_pem_public_key(public_key_pem.encode())
        self._algorithms = list(algorithms)
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_s
        # Verified tokens by their exact text, with their expiry: a client sends the same
        # token with every request, and checking its signature again costs more than
        # the rest of authentication. Only an unexpired, verified token is ever served.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if time.time() < expires + self._leeway:
                self._verified.move_to_end(token)
                return principal
            del self._verified[token]
        principal, expires = self._decode(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return principal

    def _decode(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(
                token,
                key=self._key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "sub", "iss", "aud"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthorized("token expired") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"invalid token: {exc}") from exc
        try:
            principal = Principal(
                subject=claims["sub"],
                roles=frozenset(claims.get("roles", ())),
                county=claims.get("county"),
                communities=frozenset(claims.get("communities", ())),
                department=claims.get("department"),
            )
            return principal, float(claims["exp"])
        except (ValidationError, TypeError, ValueError) as exc:
            raise Unauthorized("token claims are malformed") from exc


def generate_keypair() -> tuple[str, str]:
    """An Ed25519 key pair as (private PEM, public PEM), for the local issuer."""
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def issue_token(
    private_key_pem: str,
    *,
    subject: str,
    roles: frozenset[str] | set[str] | list[str],
    county: str | None = None,
    communities: frozenset[str] | set[str] | list[str] = (),  # type: ignore[assignment]
    department: str | None = None,
    ttl: timedelta = timedelta(hours=12),
    issuer: str = "grassroots-local",
    audience: str = "grassroots",
    now: datetime | None = None,
) -> str:
    """The local issuer, for development, the demo and tests; production uses the county's IdP."""
    unknown = set(roles) - ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {sorted(ROLES)}")
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject,
        "roles": sorted(roles),
        "communities": sorted(communities),
        "iss": issuer,
        "aud": audience,
        "iat": int(issued.timestamp()),
        "exp": int((issued + ttl).timestamp()),
    }
    if county is not None:
        claims["county"] = county
    if department is not None:
        claims["department"] = department
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    return jwt.encode(claims, key, algorithm="EdDSA")  # type: ignore[arg-type]
