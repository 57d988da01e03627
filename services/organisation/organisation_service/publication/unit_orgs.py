"""Public events of unit party organisations.

Notes and evidence are staff's free text: the public events say that one was added
(PledgeNoteAdded, PledgeCompleted), never what it says.
"""

from __future__ import annotations

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.organisation import unit_orgs as public
from grassroots_eventkit.domain import DomainEvent

from organisation_service.domain import unit_org


def to_public(event: DomainEvent, state: object) -> PublicEvent | None:
    match event:
        case unit_org.UnitOrgRegistered():
            return public.UnitOrganisationRegistered(
                unit_org_id=event.unit_org_id,
                name=event.name,
                kind=public.UnitOrganisationKind(event.kind.value),
                county=event.county,
                registered_at=event.registered_at,
            )
        case unit_org.UnitOrgRenamed():
            return public.UnitOrganisationRenamed(
                unit_org_id=event.unit_org_id, name=event.name, renamed_at=event.renamed_at
            )
        case unit_org.UnitOrgReported():
            return public.UnitOrganisationReported(
                unit_org_id=event.unit_org_id,
                community_id=event.community_id,
                reported_on=event.reported_on,
                recorded_at=event.recorded_at,
            )
        case unit_org.UnitOrgPaired():
            return public.UnitOrganisationPaired(
                unit_org_id=event.unit_org_id,
                community_id=event.community_id,
                paired_at=event.paired_at,
            )
        case unit_org.PledgeMade():
            return public.PledgeMade(
                pledge_id=event.pledge_id,
                unit_org_id=event.unit_org_id,
                community_id=event.community_id,
                year=event.year,
                title=event.title,
                pledged_at=event.pledged_at,
            )
        case unit_org.PledgeStarted():
            return public.PledgeStarted(
                pledge_id=event.pledge_id,
                unit_org_id=event.unit_org_id,
                community_id=event.community_id,
                started_at=event.started_at,
            )
        case unit_org.PledgeNoteAdded():
            return public.PledgeNoteAdded(
                pledge_id=event.pledge_id,
                unit_org_id=event.unit_org_id,
                community_id=event.community_id,
                added_at=event.added_at,
            )
        case unit_org.PledgeCompleted():
            return public.PledgeCompleted(
                pledge_id=event.pledge_id,
                unit_org_id=event.unit_org_id,
                community_id=event.community_id,
                year=event.year,
                completed_at=event.completed_at,
            )
    return None
