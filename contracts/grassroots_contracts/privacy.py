"""No personal data on public topics: how a public event says its text fields are safe.

Public events carry ids, grid positions, categories, times and outcomes; never a name,
a phone number, an address or words a resident wrote. A plain ``str`` can hold any of
those, so every text field of a public event must say what it holds: a ``Literal`` or
an enum, a ``pattern`` constraint, or a `NotPersonal` marker with the reviewed reason
it cannot hold personal data (the aliases below). A field whose name sounds personal
(``name``, ``phone``, ``note`` ...) needs the marker whatever its type. The marker is
Annotated metadata that pydantic leaves out of the JSON Schema, so marking a field
changes no committed schema and no compatibility verdict.

`findings(model)` lists what breaks the rule; tests/contract/test_no_personal_data.py
runs it over every public event.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import re
import types
import typing
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, FutureDatetime, NaiveDatetime, PastDatetime

Kind = Literal[
    "id", "code", "official name", "public title", "door number", "tag", "count", "score"
]


@dataclass(frozen=True, slots=True)
class NotPersonal:
    """A reviewed statement that a field of a public event cannot hold personal data."""

    kind: Kind
    reason: str


Id = Annotated[
    str,
    NotPersonal("id", "an opaque id a service minted (or a county: key); it names nobody"),
]
Code = Annotated[
    str,
    NotPersonal(
        "code",
        "a code from a catalogue the county or the system keeps "
        "(service category, department, role, rule, event type)",
    ),
]
OfficialName = Annotated[
    str,
    NotPersonal(
        "official name",
        "the published name of a place, an organisation or a good, set by staff; "
        "public by nature, never a resident's",
    ),
]
PublicTitle = Annotated[
    str,
    NotPersonal(
        "public title",
        "a title staff publish for everyone (a project, an activity, an office); "
        "never words a resident wrote",
    ),
]
DoorNumber = Annotated[
    str,
    NotPersonal(
        "door number",
        "a door number within a building unit (302): with the building it locates a "
        "dwelling; who lives there is never published",
    ),
]
Tag = Annotated[
    str, NotPersonal("tag", "a short skill tag staff attach to a service project (陪伴)")
]

# Field names that sound like personal data: matched as a whole word of the name ...
_WORD_STEMS = frozenset(
    {"name", "tel", "text", "note", "notes", "body", "desc", "age", "sex", "qq", "title"}
)
# ... or anywhere in it.
_SUBSTRING_STEMS = (
    "phone",
    "mobile",
    "address",
    "addr",
    "comment",
    "remark",
    "description",
    "content",
    "message",
    "idcard",
    "id_card",
    "email",
    "wechat",
    "contact",
    "birth",
    "gender",
    "reason",
    "photo",
    "plate",
)

# Types that hold a number, a truth value or a time: nothing a person could write.
_SAFE_LEAVES: tuple[type, ...] = (
    bool,
    int,
    float,
    decimal.Decimal,
    dt.date,
    dt.datetime,
    dt.time,
    dt.timedelta,
    uuid.UUID,
    # pydantic's datetime flavours are classes of their own, not datetime subclasses.
    AwareDatetime,
    NaiveDatetime,
    PastDatetime,
    FutureDatetime,
)


def sounds_personal(field_name: str) -> bool:
    lowered = field_name.lower()
    if _WORD_STEMS.intersection(lowered.split("_")):
        return True
    return any(stem in lowered for stem in _SUBSTRING_STEMS)


def findings(model: type[BaseModel]) -> list[str]:
    """Every field of `model` (nested models, lists and optionals included) that could
    hold personal data without a reviewed `NotPersonal` marker; empty when none."""
    return list(_model_findings(model, model.__name__, seen=set()))


def markers(model: type[BaseModel]) -> dict[str, NotPersonal]:
    """The marker of each marked field, by its dotted path (`households[].room`)."""
    found: dict[str, NotPersonal] = {}
    _collect_markers(model, "", found, seen=set())
    return found


def _model_findings(model: type[BaseModel], path: str, *, seen: set[type]) -> Iterator[str]:
    if model in seen:  # a recursive model is checked once
        return
    seen = seen | {model}
    for name, info in model.model_fields.items():
        where = f"{path}.{name}"
        marked = _has_marker(info.metadata) or _type_has_marker(info.annotation)
        # A closed set of values (Literal, enum) cannot hold a name, whatever its own name.
        if sounds_personal(name) and not marked and not _closed_set(info.annotation):
            yield (
                f"{where}: the name sounds like personal data; mark it NotPersonal with "
                "the reason it cannot hold any, or leave it off the public event"
            )
            continue
        yield from _type_findings(info.annotation, list(info.metadata), where, seen=seen)


def _type_findings(tp: Any, metadata: list[Any], where: str, *, seen: set[type]) -> Iterator[str]:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        inner, *more = typing.get_args(tp)
        yield from _type_findings(inner, [*metadata, *more], where, seen=seen)
        return
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            yield from _type_findings(arg, metadata, where, seen=seen)
        return
    if origin is Literal or tp is type(None):
        return
    if origin in (list, tuple, set, frozenset, dict) or tp in (list, tuple, set, frozenset, dict):
        args = [a for a in typing.get_args(tp) if a is not Ellipsis]
        if not args:
            yield f"{where}: a bare container; say what it holds"
        for arg in args:
            yield from _type_findings(arg, [], f"{where}[]", seen=seen)
        return
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield from _model_findings(tp, where, seen=seen)
        return
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return
    if tp is str:
        if _has_marker(metadata) or _has_pattern(metadata):
            return
        yield (
            f"{where}: free text; constrain it (Literal, enum, pattern) or mark it "
            "NotPersonal with the reviewed reason it cannot hold personal data"
        )
        return
    if isinstance(tp, type) and issubclass(tp, _SAFE_LEAVES):
        return
    yield f"{where}: {tp!r} could hold anything; use a constrained type"


def _closed_set(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if origin is Annotated:
        return _closed_set(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return all(_closed_set(arg) for arg in typing.get_args(tp))
    if origin is Literal or tp is type(None):
        return True
    return isinstance(tp, type) and issubclass(tp, enum.Enum)


def _has_marker(metadata: list[Any]) -> bool:
    return any(isinstance(m, NotPersonal) for m in metadata)


def _has_pattern(metadata: list[Any]) -> bool:
    return any(isinstance(getattr(m, "pattern", None), str | re.Pattern) for m in metadata)


def _type_has_marker(tp: Any) -> bool:
    if typing.get_origin(tp) is Annotated:
        inner, *metadata = typing.get_args(tp)
        return _has_marker(metadata) or _type_has_marker(inner)
    return any(_type_has_marker(arg) for arg in typing.get_args(tp))


def _marker_of(tp: Any, metadata: list[Any]) -> NotPersonal | None:
    for m in metadata:
        if isinstance(m, NotPersonal):
            return m
    if typing.get_origin(tp) is Annotated:
        inner, *more = typing.get_args(tp)
        return _marker_of(inner, list(more))
    for arg in typing.get_args(tp):
        if (found := _marker_of(arg, [])) is not None:
            return found
    return None


def _collect_markers(
    model: type[BaseModel], prefix: str, found: dict[str, NotPersonal], *, seen: set[type]
) -> None:
    if model in seen:
        return
    seen = seen | {model}
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        if (marker := _marker_of(info.annotation, list(info.metadata))) is not None:
            found[path] = marker
        for nested, suffix in _nested_models(info.annotation, ""):
            _collect_markers(nested, f"{path}{suffix}.", found, seen=seen)


def _nested_models(tp: Any, suffix: str) -> Iterator[tuple[type[BaseModel], str]]:
    origin = typing.get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        yield tp, suffix
        return
    inner_suffix = f"{suffix}[]" if origin in (list, tuple, set, frozenset) else suffix
    for arg in typing.get_args(tp):
        if arg is not Ellipsis and not isinstance(arg, NotPersonal | str | int):
            yield from _nested_models(arg, inner_suffix)
