"""Public events of the organisation service (topic grassroots.organisation.events)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Id, OfficialName
from grassroots_contracts.topics import ORGANISATION_EVENTS

_EXAMPLE_COMMUNITY = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"


class CommunityRegistered(PublicEvent):
    """A community (社区) was registered in a county's grid."""

    event_type: ClassVar[str] = "grassroots.organisation.CommunityRegistered.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "community_id": _EXAMPLE_COMMUNITY,
        "name": "茶亭社区",
        "county": "东安县",
        "town": "白牙市镇",
        "registered_at": "2026-03-01T08:00:00Z",
    }

    community_id: Id = Field(description="the community's id; also the Kafka key")
    name: OfficialName = Field(description="the community's official name, e.g. 茶亭社区")
    county: OfficialName = Field(description="the county it belongs to, e.g. 东安县")
    town: OfficialName = Field(description="the town or subdistrict, e.g. 白牙市镇")
    registered_at: AwareDatetime


class CommunityRenamed(PublicEvent):
    """A community's official name changed."""

    event_type: ClassVar[str] = "grassroots.organisation.CommunityRenamed.v1"
    topic: ClassVar[str] = ORGANISATION_EVENTS.name
    example: ClassVar[dict[str, object]] = {
        "community_id": _EXAMPLE_COMMUNITY,
        "name": "茶亭新社区",
        "renamed_at": "2026-04-01T08:00:00Z",
    }

    community_id: Id = Field(description="the community's id; also the Kafka key")
    name: OfficialName = Field(description="the new official name")
    renamed_at: AwareDatetime


EVENTS: tuple[type[PublicEvent], ...] = (CommunityRegistered, CommunityRenamed)
