"""Official names: what a valid community, county or town name looks like."""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator, StringConstraints


def _official(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValueError("must not contain control or invisible characters")
    return value


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

PersonName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(_official),
]

Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"),
]
"""A mainland mobile (13912345678) or landline (0746-1234567) number."""

ID_PATTERN = r"^[A-Za-z0-9._:-]+$"

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
