"""Open311's own error document, `[{"code": 400, "description": "..."}]`.

GeoReport clients read errors in this shape (and in the request's format), not as
problem+json, so the Open311 routes answer their refusals with it.
"""

from __future__ import annotations

from typing import Any


class Open311Error(Exception):
    """A refusal to answer with an Open311 error document and this HTTP status."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description

    def items(self) -> list[dict[str, Any]]:
        return [{"code": self.code, "description": self.description}]


def bad_request(description: str) -> Open311Error:
    return Open311Error(400, description)
