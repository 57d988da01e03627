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
