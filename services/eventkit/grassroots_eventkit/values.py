"""Value types every service validates the same way: ids, people's names, phones, text."""

from __future__ import annotations

import unicodedata
from datetime import timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

# The county's clock for dates, months and years (a report made at 07:00 Beijing time
# is dated today, not yesterday in UTC).
CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")


def visible_text(value: str) -> str:
    """NFC-normalised, with no control or invisible characters."""
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise ValueError("must not contain control or invisible characters")
    return value


def written_text(value: str) -> str:
    """Text a person wrote: line breaks allowed, other control characters refused."""
    # Line breaks are fine in a resident's description; other control characters are not.
    value = unicodedata.normalize("NFC", value)
    if any(unicodedata.category(ch).startswith("C") and ch not in "\n\t" for ch in value):
        raise ValueError("must not contain control or invisible characters")
    return value


PersonName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=40),
    AfterValidator(visible_text),
]

Phone = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$"),
]
"""A mainland mobile (13912345678) or landline (0746-1234567) number."""

ID_PATTERN = r"^[A-Za-z0-9._:-]+$"

EntityId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=ID_PATTERN)]
