"""Which public events of the other services can earn or cost points, and for whom.

`intents(event_type, payload, at)` turns one source event into what the account should
do: score it (for which member, about what, how many hours) or reverse an earlier
award. It does not know the amounts: those are the rule book's. Pure: the live policy
and the what-if replay both use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from grassroots_contracts.organisation import members
from grassroots_contracts.requests import lifecycle as requests
from grassroots_contracts.volunteering import events as volunteering


@dataclass(frozen=True, slots=True)
class ScoreIntent:
    member_id: str
    subject_ref: str
    occurred_at: datetime
    quantity: float = 1.0


@dataclass(frozen=True, slots=True)
class ReverseIntent:
    member_id: str
    subject_ref: str
    rule_id: str
    occurred_at: datetime


Intent = ScoreIntent | ReverseIntent

SATISFIED = ("satisfied", "basically_satisfied")


def intents(event_type: str, payload: Mapping[str, Any], at: datetime) -> list[Intent]:
    """`at` is when the source event happened (its CloudEvents time)."""
    p = payload
    match event_type:
        case members.MemberReported.event_type:
            return [ScoreIntent(p["member_id"], f"report:{p['community_id']}:{p['period']}", at)]
        case requests.RequestResolved.event_type if p["resolver"] == "member":
            return [ScoreIntent(p["resolved_by"], f"request:{p['request_id']}", at)]
        case requests.RequestRated.event_type if (
            p["resolver"] == "member" and p["rating"] in SATISFIED
        ):
            return [ScoreIntent(p["resolved_by"], f"request:{p['request_id']}", at)]
        case requests.RequestReopened.event_type if p["previous_resolver"] == "member":
            return [
                ReverseIntent(
                    p["previously_resolved_by"],
                    f"request:{p['request_id']}",
                    "request_resolved",
                    at,
                )
            ]
        case volunteering.HoursCertified.event_type:
            return [ScoreIntent(p["member_id"], f"{p['source']}:{p['source_id']}", at, p["hours"])]
        case volunteering.ShiftServed.event_type | volunteering.ShiftMissed.event_type:
            return [ScoreIntent(p["member_id"], f"shift:{p['slot_id']}", at)]
        case volunteering.ActivityNoShow.event_type:
            return [ScoreIntent(p["member_id"], f"activity:{p['activity_id']}", at)]
    return []


SOURCE_TYPES: frozenset[str] = frozenset(
    {
        members.MemberReported.event_type,
        requests.RequestResolved.event_type,
        requests.RequestRated.event_type,
        requests.RequestReopened.event_type,
        volunteering.HoursCertified.event_type,
        volunteering.ShiftServed.event_type,
        volunteering.ShiftMissed.event_type,
        volunteering.ActivityNoShow.event_type,
    }
)
