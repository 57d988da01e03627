"""RFC 9457 problem+json for every error, with field-level detail. Never a bare 500."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from grassroots_eventkit.auth import Forbidden, Unauthorized
from grassroots_eventkit.domain import CommandRejected

log = structlog.get_logger()

PROBLEM_JSON = "application/problem+json"


def problem(
    status: int, title: str, detail: str, *, rule: str, instance: str | None = None, **extra: Any
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:grassroots:problem:{rule}",
        "title": title,
        "status": status,
        "detail": detail,
        "rule": rule,
    }
    if instance:
        body["instance"] = instance
    body.update(extra)
    headers = {"WWW-Authenticate": 'Bearer realm="grassroots"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    # ("body", "name") -> "name"; ("query", "county") -> "query.county"
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[1:]
    return ".".join(parts) or "body"


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field(tuple(e.get("loc", ()))),
                "rule": e.get("type", "invalid"),
                "message": e.get("msg", ""),
            }
            for e in exc.errors()
        ]
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return problem(
            422,
            "Invalid request",
            f"invalid: {fields}",
            rule="validation",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(CommandRejected)
    async def _rejected(request: Request, exc: CommandRejected) -> JSONResponse:
        extra: dict[str, Any] = {}
        if exc.field:
            extra["errors"] = [{"field": exc.field, "rule": exc.rule, "message": exc.message}]
        return problem(
            exc.status,
            "Command refused" if exc.status != 404 else "Not found",
            exc.message,
            rule=exc.rule,
            instance=request.url.path,
            **extra,
        )

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> JSONResponse:
        return problem(
            401, "Unauthorized", str(exc), rule="unauthorized", instance=request.url.path
        )

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, "Forbidden", str(exc), rule="forbidden", instance=request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        rule = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return problem(
            exc.status_code, str(exc.detail), str(exc.detail), rule=rule, instance=request.url.path
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled_error", path=request.url.path)
        return problem(
            500,
            "Internal error",
            "an unexpected error was logged; the request had no effect",
            rule="internal_error",
            instance=request.url.path,
        )
