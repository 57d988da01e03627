"""FastAPI dependencies: the bearer principal and the command context."""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from grassroots_eventkit.auth import Principal, TokenVerifier, Unauthorized
from grassroots_eventkit.commands import CommandContext
from grassroots_eventkit.domain import InvalidValue

_bearer = HTTPBearer(auto_error=False, description="a JWT from the county's issuer")


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("a bearer token is required")
    verifier: TokenVerifier = request.app.state.verifier
    principal = verifier.verify(credentials.credentials)
    request.state.principal = principal
    return principal


CurrentPrincipal = Annotated[Principal, Depends(authenticated)]


async def command_context(
    request: Request,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="Retrying with the same key returns the first answer and writes nothing",
        ),
    ] = None,
) -> CommandContext:
    if idempotency_key is not None and not (1 <= len(idempotency_key) <= 200):
        raise InvalidValue(
            "idempotency_key_length",
            "Idempotency-Key must be 1-200 characters",
            field="Idempotency-Key",
        )
    correlation = getattr(request.state, "correlation_id", None)
    return CommandContext(
        actor=principal.subject,
        roles=tuple(sorted(principal.roles)),
        county=principal.county,
        correlation_id=correlation,
        causation_id=correlation,
        # Scoped to the caller and the route: two clients' keys never collide.
        idempotency_key=(
            f"{principal.subject}|{request.method} {request.url.path}|{idempotency_key}"
            if idempotency_key
            else None
        ),
    )


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
