"""Building blocks of a pure domain: events, deciders and refusals. No I/O here."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict


class DomainEvent(BaseModel):
    """A service's own (private) event, as stored in its event store.

    Public events (grassroots_contracts) are derived from these by the service's
    publication mapping, so the stored history can hold what a service needs
    (personal data included) while the public topics never do.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_name: ClassVar[str]
    schema_version: ClassVar[int] = 1

    @classmethod
    def stored_type(cls) -> str:
        return f"{cls.event_name}.v{cls.schema_version}"


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


E = TypeVar("E", bound=DomainEvent)
S = TypeVar("S")
C = TypeVar("C", bound=Command)

Upcaster = Callable[[dict[str, Any]], tuple[str, dict[str, Any]]]


class EventTypes:
    """The event classes a service stores, and upcasters for their old versions."""

    def __init__(
        self, *classes: type[DomainEvent], upcasters: Mapping[str, Upcaster] | None = None
    ) -> None:
        self._by_type = {cls.stored_type(): cls for cls in classes}
        self._upcasters = dict(upcasters or {})

    def decode(self, stored_type: str, data: Mapping[str, Any]) -> DomainEvent:
        payload = dict(data)
        while stored_type in self._upcasters:
            stored_type, payload = self._upcasters[stored_type](payload)
        try:
            cls = self._by_type[stored_type]
        except KeyError:
            raise LookupError(f"no event class for stored type {stored_type!r}") from None
        return cls.model_validate(payload)

    def knows(self, stored_type: str) -> bool:
        """True for this aggregate's own stored types (current or upcastable)."""
        return stored_type in self._by_type or stored_type in self._upcasters


@dataclass(frozen=True, slots=True)
class Decider(Generic[S, C, E]):
    """One aggregate's behaviour: `decide(state, command, now=, new_id=)` and `evolve`."""

    stream_type: str
    initial_state: S
    decide: Callable[..., Sequence[E]]
    evolve: Callable[[S, E], S]
    event_types: EventTypes
    # Whose personal data this aggregate's Personal event fields are (None: no one's);
    # the store seals them with that subject's key. See grassroots_eventkit.personal.
    subject_of: Callable[[S], str | None] | None = None

    def owns(self, stored_types: Sequence[str]) -> bool:
        """Whether a stream with these stored event types is one of this aggregate's.
        A client can send any id; another aggregate's stream must read as 'not found'."""
        return all(self.event_types.knows(t) for t in stored_types)

    def fold(self, events: Sequence[E]) -> S:
        state = self.initial_state
        for event in events:
            state = self.evolve(state, event)
        return state


class CommandRejected(Exception):
    """A command broke a rule. `rule` is a stable machine-readable name."""

    status: ClassVar[int] = 409

    def __init__(self, rule: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.field = field


class NotFound(CommandRejected):
    status: ClassVar[int] = 404


class InvalidValue(CommandRejected):
    status: ClassVar[int] = 422


IdFactory = Callable[[], str]
