"""Which read models an accepted command must reach, and how each one shows it.

The writer's event store says what an accepted command did: its stored events, whose ids
are the ids of the public events the relay published. From each of those, this module
builds probes: a question to one read model ("how many times do you show this?") and the
answer the store says is right. Per-id facts wherever a read model keeps one (the row of
request X, the rating given at T, the points entry of source event E under rule R), and
for counters, the counter against the fold of the aggregate's stored events (an
activity's sign-ups and check-ins, an item's stock), which is where a doubled
application would show.

The kinds and their read models (docs/chaos.md has the table):

submit       requests.rq_requests, projections.pj_rq_requests
claim        the same rows: holder and first response
resolve      the same rows: resolution time; a member's: points (store, pt_sources,
             pt_entries, pj_pt_entries), exactly one entry per rule in force
rate         requests.rq_ratings, projections.pj_rq_ratings, the close; a satisfied
             rating of a member's work: points as for resolve
sign_up      volunteering.vo_activities confirmed and waitlisted
check_in     volunteering.vo_activities checked_in
shift_claim  volunteering.vo_slots, projections.pj_vo_slots
redeem       points.pt_redemptions, projections.pj_pt_redemptions, the member's account
             (store, pt_entries, pj_pt_entries), the item's stock in pt_items and pj_pt_items
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

SATISFIED = ("satisfied", "basically_satisfied")
SERVICE_OF = {
    "submit": "requests",
    "claim": "requests",
    "resolve": "requests",
    "rate": "requests",
    "sign_up": "volunteering",
    "check_in": "volunteering",
    "shift_claim": "volunteering",
    "redeem": "points",
}
# The stored event each kind of command appends (domain names, schema version 1).
SOURCE_TYPE = {
    "submit": "RequestSubmitted.v1",
    "claim": "RequestClaimed.v1",
    "resolve": "RequestResolved.v1",
    "rate": "RequestRated.v1",
    "sign_up": "SignedUp.v1",
    "check_in": "CheckedIn.v1",
    "shift_claim": "ShiftClaimed.v1",
    "redeem": "GoodsTaken.v1",
}
# Same-stream events after which an earlier one's mark on a row is gone by design.
HOLDER_CHANGES = ("RequestClaimed.v1", "RequestEscalated.v1", "DepartmentReported.v1")
RESOLUTION_CHANGES = ("RequestResolved.v1", "RequestReopened.v1")
SLOT_CHANGES = ("ShiftClaimed.v1", "ShiftReleased.v1", "ShiftsSwapped.v1")
SCORES = ("PointsEntered.v1", "ScoredNothing.v1")


class AcceptedCommand(Protocol):
    """What the checker needs of a command the stack answered 2xx (load.mix.Accepted)."""

    @property
    def kind(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def member(self) -> str | None: ...
    @property
    def answered_at(self) -> float: ...


@dataclass(frozen=True, slots=True)
class Stored:
    """One row of a writer's `es_events`."""

    event_id: str
    event_type: str
    stream_id: str
    version: int
    community_id: str
    data: dict[str, Any]
    recorded_at: datetime

    def at(self, name: str = "at") -> datetime:
        return datetime.fromisoformat(self.data[name])


@dataclass(frozen=True, slots=True)
class Probe:
    """How many times one read model shows one effect; `expected` is what the store says."""

    model: str  # "<database>.<table>"
    sql: str  # returns one number
    args: tuple[Any, ...]
    expected: int = 1

    @property
    def database(self) -> str:
        return self.model.split(".", 1)[0]


@dataclass
class Tally:
    """A counter in a read model against the fold of the aggregate's stored events; a
    difference is put down to that many of the commands that moved it."""

    probe: Probe
    commands: list[int] = field(default_factory=list)


@dataclass
class Effects:
    """Per command (its index in the ledger): the probes that must each be answered with
    their `expected`; and the counters shared by several commands."""

    probes: dict[int, list[Probe]] = field(default_factory=lambda: defaultdict(list))
    tallies: dict[tuple[str, str, tuple[Any, ...]], Tally] = field(default_factory=dict)
    # Commands whose own event the store does not have (lost before any read model).
    missing: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def tally(self, probe: Probe, command: int) -> None:
        key = (probe.model, probe.sql, probe.args)
        self.tallies.setdefault(key, Tally(probe)).commands.append(command)
