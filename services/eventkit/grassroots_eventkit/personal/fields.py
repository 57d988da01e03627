"""Which fields of which stored events are personal data, declared on the event models.

    class RequestSubmitted(DomainEvent):
        text: Annotated[str, Personal(erased=ERASED_TEXT)]
        contact: Annotated[Contact | None, Personal(erased=None)]

A service lists its event classes with personal fields in one `PersonalFields(...)`;
nothing is discovered by scanning modules. `erased` is what a reader gets once the
subject's key is gone: it must be a valid value of the field, so an aggregate still
loads and a replay still runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grassroots_eventkit.domain import DomainEvent

# What an erased text reads as, in the product's two languages.
ERASED_TEXT = "［已删除 erased］"


@dataclass(frozen=True, slots=True)
class Personal:
    """Marks a DomainEvent field as personal data: sealed in the store with the key of
    the aggregate's subject (Decider.subject_of), readable until the subject is erased."""

    erased: Any


class PersonalFields:
    """Stored event type -> {personal field: its erased value}."""

    def __init__(self, *classes: type[DomainEvent]) -> None:
        self._by_type: dict[str, dict[str, Any]] = {}
        for cls in classes:
            marked = {
                name: marker.erased
                for name, info in cls.model_fields.items()
                for marker in info.metadata
                if isinstance(marker, Personal)
            }
            if not marked:
                raise ValueError(f"{cls.__name__} is listed but marks no field Personal")
            self._by_type[cls.stored_type()] = marked

    def of(self, stored_type: str) -> Mapping[str, Any]:
        """The personal fields of one stored type ({} for a type with none)."""
        return self._by_type.get(stored_type, {})

    @property
    def stored_types(self) -> tuple[str, ...]:
        return tuple(self._by_type)
