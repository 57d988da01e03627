"""The personal-data guard catches what a careless public event would leak."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal

from grassroots_contracts.privacy import (
    Code,
    Id,
    NotPersonal,
    OfficialName,
    findings,
    markers,
    sounds_personal,
)
from pydantic import AwareDatetime, BaseModel, Field


class Remark(BaseModel):
    note: str


class Leaky(BaseModel):
    request_id: Id
    resident_name: str
    history: list[Remark]
    extra: dict[str, Any]


def test_a_name_and_a_nested_free_note_are_caught_when_the_model_has_them() -> None:
    found = findings(Leaky)
    assert any(f.startswith("Leaky.resident_name:") for f in found)
    assert any(f.startswith("Leaky.history[].note:") for f in found)
    assert any(f.startswith("Leaky.extra[]:") for f in found)
    assert not any(f.startswith("Leaky.request_id") for f in found)


def test_free_text_is_caught_when_its_name_sounds_harmless() -> None:
    class Harmless(BaseModel):
        summary: str | None = None
        labels: list[str] = []

    assert [f.split(":")[0] for f in findings(Harmless)] == [
        "Harmless.summary",
        "Harmless.labels[]",
    ]


def test_a_personal_sounding_name_is_caught_when_its_type_is_a_number() -> None:
    class Phones(BaseModel):
        mobile: int
        contact_phone: Annotated[str, Field(pattern=r"^1[3-9]\d{9}$")]

    assert [f.split(":")[0] for f in findings(Phones)] == ["Phones.mobile", "Phones.contact_phone"]


def test_constrained_and_marked_fields_pass_when_reviewed() -> None:
    class Colour(Enum):
        RED = "red"

    class Clean(BaseModel):
        community_id: Id
        name: OfficialName
        category: Code
        reason: Literal["rated", "expired"]
        colour: Colour
        code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
        grid_unit_ids: list[Id]
        photos: Annotated[int, NotPersonal("count", "how many photos came; never a photo")]
        at: AwareDatetime
        when: datetime | None = None

    assert findings(Clean) == []
    assert markers(Clean)["name"].kind == "official name"
    assert markers(Clean)["grid_unit_ids"].kind == "id"


def test_name_stems_match_when_they_are_words_or_distinctive_parts() -> None:
    assert sounds_personal("resident_name")
    assert sounds_personal("homeaddress")
    assert sounds_personal("id_card_no")
    assert sounds_personal("free_text")
    assert not sounds_personal("renamed_at")
    assert not sounds_personal("community_id")
