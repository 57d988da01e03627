"""What the world sees of each stored event: the public event, without personal data.

Texts (the request, notes, resolutions, reasons, comments), contacts and photo URLs
stay in the store; every stored event has exactly one public counterpart here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.requests import lifecycle as pub
from grassroots_eventkit.domain import DomainEvent

from requests_service.domain import erasure
from requests_service.domain import request as rq
from requests_service.domain.request import Request, resolver_of


def _submitted(e: rq.RequestSubmitted, s: Request) -> PublicEvent:
    a = e.address
    return pub.RequestSubmitted(
        request_id=e.request_id,
        community_id=a.community_id,
        compound_id=a.compound_id,
        area_id=a.area_id,
        building_id=a.building_id,
        household_id=a.household_id,
        category=e.category,
        channel=e.channel,
        photos=len(e.photos),
        submitted_at=e.at,
        respond_by=e.respond_by,
        resolve_by=e.resolve_by,
    )


def _routed(e: rq.RequestRouted, s: Request) -> PublicEvent:
    return pub.RequestRouted(
        request_id=e.request_id,
        community_id=s.community_id,
        level=e.route.level,
        responsible_ids=list(e.route.responsible_ids),
        routed_at=e.at,
    )


def _claimed(e: rq.RequestClaimed, s: Request) -> PublicEvent:
    return pub.RequestClaimed(
        request_id=e.request_id,
        community_id=s.community_id,
        member_id=e.member_id,
        assigned=e.assigned_by is not None,
        claimed_at=e.at,
        within_deadline=e.within_deadline,
    )


def _noted(e: rq.ProgressNoted, s: Request) -> PublicEvent:
    return pub.RequestProgressNoted(
        request_id=e.request_id, community_id=s.community_id, noted_at=e.at
    )


def _escalated(e: rq.RequestEscalated, s: Request) -> PublicEvent:
    return pub.RequestEscalated(
        request_id=e.request_id,
        community_id=s.community_id,
        from_level=e.from_level,
        to_level=e.to_level,
        department=e.department,
        whistle=e.whistle,
        automatic=e.automatic,
        escalated_at=e.at,
    )


def _department(e: rq.DepartmentReported, s: Request) -> PublicEvent:
    return pub.DepartmentReported(
        request_id=e.request_id,
        community_id=s.community_id,
        department=e.department,
        reported_at=e.at,
    )


def _resolved(e: rq.RequestResolved, s: Request) -> PublicEvent:
    return pub.RequestResolved(
        request_id=e.request_id,
        community_id=s.community_id,
        resolved_by=e.by.id,
        resolver=resolver_of(e.by),
        level=e.level,
        resolved_at=e.at,
        within_deadline=e.within_deadline,
        confirm_by=e.confirm_by,
    )


def _rated(e: rq.RequestRated, s: Request) -> PublicEvent:
    return pub.RequestRated(
        request_id=e.request_id,
        community_id=s.community_id,
        rating=e.rating,
        resolved_by=e.resolved_by.id,
        resolver=resolver_of(e.resolved_by),
        rated_at=e.at,
    )


def _reopened(e: rq.RequestReopened, s: Request) -> PublicEvent:
    return pub.RequestReopened(
        request_id=e.request_id,
        community_id=s.community_id,
        reason="dissatisfied",
        reopened_at=e.at,
        resolve_by=e.resolve_by,
        previously_resolved_by=e.previously_resolved_by.id,
        previous_resolver=resolver_of(e.previously_resolved_by),
    )


def _closed(e: rq.RequestClosed, s: Request) -> PublicEvent:
    return pub.RequestClosed(
        request_id=e.request_id,
        community_id=s.community_id,
        outcome=e.outcome,
        reason=e.reason,
        closed_at=e.at,
    )


def _cancelled(e: rq.RequestCancelled, s: Request) -> PublicEvent:
    return pub.RequestCancelled(
        request_id=e.request_id, community_id=s.community_id, cancelled_at=e.at
    )


def _rejected(e: rq.RequestRejected, s: Request) -> PublicEvent:
    return pub.RequestRejected(
        request_id=e.request_id, community_id=s.community_id, rejected_at=e.at
    )


def _merged(e: rq.RequestMerged, s: Request) -> PublicEvent:
    return pub.RequestMerged(
        request_id=e.request_id,
        community_id=s.community_id,
        into_request_id=e.into_request_id,
        merged_at=e.at,
    )


def _joined(e: rq.SupportersJoined, s: Request) -> PublicEvent:
    return pub.SupportersJoined(
        request_id=e.request_id,
        community_id=s.community_id,
        from_request_id=e.from_request_id,
        supporters=len(s.supporters),
    )


def _missed(e: rq.DeadlineMissed, s: Request) -> PublicEvent:
    return pub.DeadlineMissed(
        request_id=e.request_id,
        community_id=s.community_id,
        deadline=e.deadline,
        due_at=e.due_at,
        detected_at=e.at,
        level=e.level,
    )


def _erased(e: erasure.ResidentErased, s: erasure.Erasure) -> PublicEvent:
    return pub.ResidentErased(
        resident_id=e.resident_id,
        community_id=e.community_id,
        requests=len(e.request_ids),
        erased_at=e.at,
    )


MAPPERS: dict[type[DomainEvent], Callable[[Any, Any], PublicEvent]] = {
    rq.RequestSubmitted: _submitted,
    rq.RequestRouted: _routed,
    rq.RequestClaimed: _claimed,
    rq.ProgressNoted: _noted,
    rq.RequestEscalated: _escalated,
    rq.DepartmentReported: _department,
    rq.RequestResolved: _resolved,
    rq.RequestRated: _rated,
    rq.RequestReopened: _reopened,
    rq.RequestClosed: _closed,
    rq.RequestCancelled: _cancelled,
    rq.RequestRejected: _rejected,
    rq.RequestMerged: _merged,
    rq.SupportersJoined: _joined,
    rq.DeadlineMissed: _missed,
    erasure.ResidentErased: _erased,
}


def to_public(event: DomainEvent, state_after: Any) -> PublicEvent | None:
    """The public event of a stored one (the request's or a resident's erasure). A
    caller's erasure has none: the caller never had a public id."""
    if isinstance(event, erasure.CallerErased):
        return None
    return MAPPERS[type(event)](event, state_after)
