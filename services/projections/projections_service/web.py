"""The web dashboard: one static page (HTML, vanilla JS, CSS), no build step.

The page and its files are public and kept out of the OpenAPI (every route there needs a
token); the figures come from the token-protected JSON under /dashboard/api.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

router = APIRouter(tags=["dashboard"])

_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "i18n.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}


def _read(name: str) -> bytes:
    return resources.files("projections_service").joinpath("dashboard", name).read_bytes()


def _file(name: str) -> Response:
    return Response(_read(name), media_type=_TYPES[name], headers=_HEADERS)


@router.get("/dashboard", include_in_schema=False)
async def page() -> Response:
    return _file("index.html")


@router.get("/dashboard/static/{name}", include_in_schema=False)
async def static(name: str) -> Response:
    if name not in _TYPES:
        raise HTTPException(status_code=404, detail="not found")
    return _file(name)
