"""Official names: what a valid community, county or town name looks like."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from grassroots_eventkit.values import ID_PATTERN, EntityId, PersonName, Phone, visible_text
from pydantic import AfterValidator, StringConstraints


def _official(value: str) -> str:
    return visible_text(value)


OfficialName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=2, max_length=50),
    AfterValidator(_official),
]


def name_key(county: str, name: str) -> str:
    """What makes two community names the same within a county."""

    def fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    return f"{fold(county)}/{fold(name)}"


def _short(value: str) -> str:
    return _official(value)


ShortName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=30),
    AfterValidator(_short),
]
"""A building number or door number: 3栋, 302, A-1."""

# Shared with every service; re-exported so the organisation's imports read as before.
__all__ = ["ID_PATTERN", "EntityId", "OfficialName", "PersonName", "Phone", "ShortName"]
