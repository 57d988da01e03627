"""What the organisation routes share: the shape of ids in paths, examples on bodies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import ConfigDict

from organisation_service.domain.names import ID_PATTERN

# An id in a URL: the same shape as in bodies (names.EntityId), refused with a 422 otherwise.
PathId = Annotated[str, Path(min_length=1, max_length=64, pattern=ID_PATTERN)]


def example_body(example: dict[str, object]) -> ConfigDict:
    """A frozen request body that refuses unknown fields and shows `example` in the OpenAPI."""
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [example]})
