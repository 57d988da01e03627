"""Stories for unit tests of one aggregate's decider, on the pure domain.

A test tells what happened as the commands that made it happen, not as hand-built events or
states: `given` asks `decide` for each step's events and replays them through `evolve`
(`fold`) to get the state the next step is decided on, so every story exercises both
halves of the decider, and a state no command sequence can reach cannot be tested into.

    story = Story(rq.DECIDER, NOW)
    decide, fold, given, state_of, refusal = story.helpers()
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

import pytest
from grassroots_eventkit.domain import Command, CommandRejected, Decider, DomainEvent, IdFactory

S = TypeVar("S")
C = TypeVar("C", bound=Command)
E = TypeVar("E", bound=DomainEvent)


@dataclass(frozen=True)
class Story(Generic[S, C, E]):
    """`decider`'s commands decided at `now` unless a step says when; `new_id` is the id
    factory handed to `decide` (by default one that fails the test: most deciders make
    no ids)."""

    decider: Decider[S, C, E]
    now: datetime
    new_id: IdFactory | None = None

    def _no_ids(self) -> str:
        raise AssertionError(f"the {self.decider.stream_type} decider never makes ids")

    def decide(self, state: S, command: C, at: datetime | None = None) -> list[E]:
        """The events `command` produces on `state`, decided at `at` (default: `now`)."""
        return list(
            self.decider.decide(
                state,
                command,
                now=self.now if at is None else at,
                new_id=self.new_id or self._no_ids,
            )
        )

    def fold(self, events: Sequence[E]) -> S:
        """The state `events` leave, replayed through `evolve` from the initial state."""
        return self.decider.fold(events)

    def given(self, *steps: C | tuple[C, datetime]) -> list[E]:
        """The events of a story; a step is a command, or (command, when)."""
        events: list[E] = []
        for step in steps:
            command, at = step if isinstance(step, tuple) else (step, self.now)
            events += self.decide(self.fold(events), command, at)
        return events

    def state_of(self, *steps: C | tuple[C, datetime]) -> S:
        """The state a story leaves; the story must have started the aggregate."""
        state = self.fold(self.given(*steps))
        assert state is not None
        return state

    def refusal(self, state: S, command: C, at: datetime | None = None) -> tuple[type, str]:
        """Why `command` is refused on `state`: the refusal's type and its rule."""
        with pytest.raises(CommandRejected) as refused:
            self.decide(state, command, at)
        return type(refused.value), refused.value.rule

    def helpers(
        self,
    ) -> tuple[
        Callable[..., list[E]],
        Callable[[Sequence[E]], S],
        Callable[..., list[E]],
        Callable[..., S],
        Callable[..., tuple[type, str]],
    ]:
        """`decide`, `fold`, `given`, `state_of` and `refusal`, in that order, for a test
        module to bind to plain names."""
        return self.decide, self.fold, self.given, self.state_of, self.refusal
