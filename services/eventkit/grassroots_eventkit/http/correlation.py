"""Correlation ids: taken from `X-Correlation-Id` or made, bound to every log line of the
request, stored for the command context, and echoed in the response.

Plain ASGI rather than Starlette's BaseHTTPMiddleware, which wraps every request in
extra tasks and streams: measured at about 30% of a small request's CPU.
"""

from __future__ import annotations

import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-correlation-id"


class CorrelationMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers", ())).get(HEADER)
        correlation = given.decode("latin-1")[:200] if given else str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                headers.append((HEADER, correlation.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        with structlog.contextvars.bound_contextvars(correlation_id=correlation):
            await self.app(scope, receive, send_with_id)
