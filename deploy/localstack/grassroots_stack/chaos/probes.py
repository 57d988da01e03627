"""From each accepted command to its stored event, and from that to the probes of every
read model the event reaches (effects.py says which)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from grassroots_stack.chaos.effects import (
    HOLDER_CHANGES,
    RESOLUTION_CHANGES,
    SATISFIED,
    SLOT_CHANGES,
    SOURCE_TYPE,
    AcceptedCommand,
    Effects,
    Probe,
    Stored,
)
from grassroots_stack.chaos.stores import Stores

# The store stamps an event before its transaction commits and the answer goes out.
CLOCK_SLACK_S = 2.0


def _count(table: str, where: str) -> str:
    return f"SELECT count(*) FROM {table} WHERE {where}"


def _candidates(c: AcceptedCommand, stores: Stores) -> list[Stored]:
    wanted = SOURCE_TYPE[c.kind]
    if c.kind == "redeem":
        found = [
            e
            for events in stores.streams.values()
            for e in events
            if e.event_type == wanted and e.data.get("redemption_id") == c.target
        ]
    elif c.kind == "shift_claim":
        found = [
            e
            for events in stores.streams.values()
            for e in events
            if e.event_type == wanted and c.target in (e.stream_id, e.data.get("slot_id"))
        ]
    else:
        found = [e for e in stores.streams.get(c.target, ()) if e.event_type == wanted]
    if c.member is not None and c.kind in ("claim", "sign_up", "check_in", "shift_claim"):
        found = [e for e in found if e.data.get("member_id") == c.member]
    return found


def match(ledger: Sequence[AcceptedCommand], stores: Stores) -> dict[int, Stored | None]:
    """Each command's own stored event: of its kind's type, in its stream (and its
    member's), the first one not taken by a command answered earlier. A command that
    repeated one already done (a claim by the holder, a second check-in: answered, but
    nothing new to store) gets the earlier command's event. None: the store has nothing."""
    taken: set[str] = set()
    out: dict[int, Stored | None] = {}
    for i in sorted(range(len(ledger)), key=lambda i: ledger[i].answered_at):
        c = ledger[i]
        found = [
            e
            for e in _candidates(c, stores)
            if e.recorded_at.timestamp() <= c.answered_at + CLOCK_SLACK_S
        ]
        free = [e for e in found if e.event_id not in taken]
        if free:
            out[i] = free[0]
            taken.add(free[0].event_id)
        else:
            out[i] = found[-1] if found else None
    return out


def _later(stores: Stores, event: Stored, types: Sequence[str]) -> list[Stored]:
    return [
        e
        for e in stores.streams.get(event.stream_id, ())
        if e.version > event.version and e.event_type in types
    ]


def _next(stores: Stores, event: Stored) -> Stored | None:
    """The event the same command appended right after `event` (same stream, next version)."""
    for e in stores.streams.get(event.stream_id, ()):
        if e.version == event.version + 1 and e.recorded_at == event.recorded_at:
            return e
    return None


def _request_row(model: str, event: Stored, extra: str = "", *args: object) -> Probe:
    table = model.split(".", 1)[1]
    where = "community_id = $1 AND request_id = $2" + (f" AND {extra}" if extra else "")
    return Probe(model, _count(table, where), (event.community_id, event.stream_id, *args))


REQUEST_ROWS = ("requests.rq_requests", "projections.pj_rq_requests")


def _requests(i: int, event: Stored, stores: Stores, effects: Effects) -> None:
    probes = effects.probes[i]
    match event.event_type:
        case "RequestSubmitted.v1":
            probes += [_request_row(m, event) for m in REQUEST_ROWS]
            resident = event.data["resident_id"]
            # A retried submission (its answer lost) must not make a second request: the
            # resident's submissions since the run began, against those answered.
            probes.append(
                Probe(
                    "requests.es_events",
                    _count(
                        "es_events",
                        "event_type = 'RequestSubmitted.v1' AND data->>'resident_id' = $1"
                        " AND recorded_at >= $2",
                    ),
                    (resident, stores.since),
                    stores.submissions[resident],
                )
            )
        case "RequestClaimed.v1":
            if _later(stores, event, HOLDER_CHANGES):
                probes += [_request_row(m, event, "responded_at IS NOT NULL") for m in REQUEST_ROWS]
            else:
                member = event.data["member_id"]
                probes += [
                    _request_row(m, event, "holder = $3 AND responded_at IS NOT NULL", member)
                    for m in REQUEST_ROWS
                ]
        case "RequestResolved.v1":
            if not _later(stores, event, RESOLUTION_CHANGES):
                probes += [
                    _request_row(m, event, "resolved_at = $3", event.at()) for m in REQUEST_ROWS
                ]
            if event.data["by"]["kind"] == "member":
                _points(i, event, event.data["by"]["id"], stores, effects)
        case "RequestRated.v1":
            for model in ("requests.rq_ratings", "projections.pj_rq_ratings"):
                probes.append(_request_row(model, event, "rated_at = $3", event.at()))
            closed = _next(stores, event)
            if (
                closed is not None
                and closed.event_type == "RequestClosed.v1"
                and not _later(stores, closed, ("RequestReopened.v1",))
            ):
                probes += [
                    _request_row(m, closed, "status = 'closed' AND closed_at = $3", closed.at())
                    for m in REQUEST_ROWS
                ]
            resolver = event.data["resolved_by"]
            if resolver["kind"] == "member" and event.data["rating"] in SATISFIED:
                _points(i, event, resolver["id"], stores, effects)


def _points(i: int, source: Stored, member: str, stores: Stores, effects: Effects) -> None:
    """A source event the points policy must score exactly once per rule in force: one
    stored PointsEntered or ScoredNothing (cap used up) per rule in the member's account,
    each entry in the points read model and the dashboard's, the source kept once."""
    probes = effects.probes[i]
    account = f"account:{member}"
    probes.append(
        Probe("points.pt_sources", _count("pt_sources", "event_id = $1"), (source.event_id,))
    )
    scored = [e for e in stores.scores.get(source.event_id, ()) if e.stream_id == account]
    rules = sorted({e.data["rule_id"] for e in scored}) or ["(any rule)"]
    for rule in rules:
        probes.append(
            Probe(
                "points.es_events",
                _count(
                    "es_events",
                    "stream_id = $1 AND event_type = ANY($2::text[])"
                    " AND data->>'source_event_id' = $3"
                    " AND ($4 = '(any rule)' OR data->>'rule_id' = $4)",
                ),
                (account, ["PointsEntered.v1", "ScoredNothing.v1"], source.event_id, rule),
            )
        )
    for entry in (e for e in scored if e.event_type == "PointsEntered.v1"):
        for model in ("points.pt_entries", "projections.pj_pt_entries"):
            table = model.split(".", 1)[1]
            probes.append(
                Probe(
                    model,
                    _count(table, "member_id = $1 AND entry_id = $2"),
                    (member, entry.data["entry_id"]),
                )
            )


def _activity_counts(events: Sequence[Stored]) -> dict[str, int]:
    """vo_activities' counters as the activity's stored events make them."""
    counts = {"confirmed": 0, "waitlisted": 0, "checked_in": 0}
    for e in events:
        match e.event_type:
            case "SignedUp.v1":
                counts[e.data["status"]] += 1
            case "SignUpCancelled.v1":
                counts[e.data["was"]] -= 1
            case "WaitlistPromoted.v1":
                counts["confirmed"] += 1
                counts["waitlisted"] -= 1
            case "CheckedIn.v1":
                counts["checked_in"] += 1
    return counts


def _activity_column(event: Stored, column: str, expected: int) -> Probe:
    return Probe(
        "volunteering.vo_activities",
        f"SELECT coalesce(sum({column}), 0) FROM vo_activities"
        " WHERE community_id = $1 AND activity_id = $2",
        (event.community_id, event.stream_id),
        expected,
    )


def _volunteering(i: int, event: Stored, stores: Stores, effects: Effects) -> None:
    counts = _activity_counts(stores.streams.get(event.stream_id, ()))
    match event.event_type:
        case "SignedUp.v1":
            for column in ("confirmed", "waitlisted"):
                effects.tally(_activity_column(event, column, counts[column]), i)
        case "CheckedIn.v1":
            effects.tally(_activity_column(event, "checked_in", counts["checked_in"]), i)
        case "ShiftClaimed.v1":
            slot, member = event.data["slot_id"], event.data["member_id"]
            later = [
                e
                for e in _later(stores, event, SLOT_CHANGES)
                if slot in (e.data.get("slot_id"), e.data.get("other_slot_id"))
            ]
            where = "community_id = $1 AND slot_id = $2" + ("" if later else " AND holder = $3")
            for model in ("volunteering.vo_slots", "projections.pj_vo_slots"):
                args = (event.community_id, slot) if later else (event.community_id, slot, member)
                effects.probes[i].append(Probe(model, _count(model.split(".", 1)[1], where), args))


def _redemption(i: int, event: Stored, stores: Stores, effects: Effects) -> None:
    probes = effects.probes[i]
    community, redemption = event.data["community_id"], event.data["redemption_id"]
    member, item = event.data["member_id"], event.data["item_id"]
    for model in ("points.pt_redemptions", "projections.pj_pt_redemptions"):
        table = model.split(".", 1)[1]
        probes.append(
            Probe(
                model,
                _count(table, "community_id = $1 AND redemption_id = $2"),
                (community, redemption),
            )
        )
    entry = f"redemption:{redemption}"
    probes.append(
        Probe(
            "points.es_events",
            _count("es_events", "stream_id = $1 AND data->>'entry_id' = $2"),
            (f"account:{member}", entry),
        )
    )
    for model in ("points.pt_entries", "projections.pj_pt_entries"):
        table = model.split(".", 1)[1]
        probes.append(
            Probe(model, _count(table, "member_id = $1 AND entry_id = $2"), (member, entry))
        )
    stock = [
        e.data["stock"]
        for e in stores.streams.get(event.stream_id, ())
        if e.data.get("item_id") == item and "stock" in e.data
    ]
    for model in ("points.pt_items", "projections.pj_pt_items"):
        table = model.split(".", 1)[1]
        effects.tally(
            Probe(
                model,
                f"SELECT coalesce(sum(stock), 0) FROM {table}"
                " WHERE community_id = $1 AND item_id = $2",
                (community, item),
                stock[-1],
            ),
            i,
        )


def effects_of(ledger: Sequence[AcceptedCommand], stores: Stores) -> Effects:
    effects = Effects()
    own = match(ledger, stores)
    missing_by_kind: dict[str, int] = defaultdict(int)
    for i, event in own.items():
        if event is None:
            effects.missing.add(i)
            missing_by_kind[ledger[i].kind] += 1
            continue
        if event.event_type.startswith("Request"):
            _requests(i, event, stores, effects)
        elif event.event_type == "GoodsTaken.v1":
            _redemption(i, event, stores, effects)
        else:
            _volunteering(i, event, stores, effects)
    if missing_by_kind:
        effects.notes.append(
            "answered 2xx but not in the writer's store: "
            + ", ".join(f"{k} {n}" for k, n in sorted(missing_by_kind.items()))
        )
    return effects
