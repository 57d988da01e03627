"""Public events of the party organisation: compound branches (小区党支部), their committees
and building party groups (楼栋党小组). People appear as member ids only."""

from __future__ import annotations

from typing import ClassVar

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Id
from grassroots_contracts.topics import ORGANISATION_EVENTS

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_X = "0193a7c2-0000-7000-8000-00000000c001"
_BR = "5b0e0c0a-1d2e-5f30-8a41-b2c3d4e5f601"
_A = "0193a7c2-0000-7000-8000-00000000a001"
_B = "0193a7c2-0000-7000-8000-00000000b001"
_M = "0193a7c2-0000-7000-8000-00000000e001"
_M2 = "0193a7c2-0000-7000-8000-00000000e002"


class _PartyEvent(PublicEvent):
    topic: ClassVar[str] = ORGANISATION_EVENTS.name


class BranchEstablished(_PartyEvent):
    """A compound's party branch (小区党支部) was established."""

    event_type: ClassVar[str] = "grassroots.organisation.BranchEstablished.v1"
    example: ClassVar[dict[str, object]] = {"branch_id": _BR, "compound_id": _X, "community_id": _C}

    branch_id: Id
    compound_id: Id
    community_id: Id


class BranchDissolved(_PartyEvent):
    """A compound's party branch was dissolved; its posts and groups end with it."""

    event_type: ClassVar[str] = "grassroots.organisation.BranchDissolved.v1"
    example: ClassVar[dict[str, object]] = {"branch_id": _BR, "compound_id": _X, "community_id": _C}

    branch_id: Id
    compound_id: Id
    community_id: Id


class BranchMemberAdmitted(_PartyEvent):
    """A party member joined a compound branch."""

    event_type: ClassVar[str] = "grassroots.organisation.BranchMemberAdmitted.v1"
    example: ClassVar[dict[str, object]] = {"branch_id": _BR, "community_id": _C, "member_id": _M}

    branch_id: Id
    community_id: Id
    member_id: Id


class BranchMemberRemoved(_PartyEvent):
    """A party member left a compound branch."""

    event_type: ClassVar[str] = "grassroots.organisation.BranchMemberRemoved.v1"
    example: ClassVar[dict[str, object]] = {"branch_id": _BR, "community_id": _C, "member_id": _M}

    branch_id: Id
    community_id: Id
    member_id: Id


class BranchSecretaryAppointed(_PartyEvent):
    """The branch secretary (支部书记), responsible for the compound; replaces any previous."""

    event_type: ClassVar[str] = "grassroots.organisation.BranchSecretaryAppointed.v1"
    example: ClassVar[dict[str, object]] = {
        "branch_id": _BR,
        "compound_id": _X,
        "community_id": _C,
        "member_id": _M,
        "replaced_member_id": None,
    }

    branch_id: Id
    compound_id: Id
    community_id: Id
    member_id: Id
    replaced_member_id: Id | None = None


class CommitteeMemberAppointed(_PartyEvent):
    """A branch committee member (支部委员), responsible for an area (片区)."""

    event_type: ClassVar[str] = "grassroots.organisation.CommitteeMemberAppointed.v1"
    example: ClassVar[dict[str, object]] = {
        "branch_id": _BR,
        "community_id": _C,
        "member_id": _M2,
        "area_id": _A,
    }

    branch_id: Id
    community_id: Id
    member_id: Id
    area_id: Id


class CommitteeMemberRemoved(_PartyEvent):
    """A branch committee member no longer covers the area."""

    event_type: ClassVar[str] = "grassroots.organisation.CommitteeMemberRemoved.v1"
    example: ClassVar[dict[str, object]] = {
        "branch_id": _BR,
        "community_id": _C,
        "member_id": _M2,
        "area_id": _A,
    }

    branch_id: Id
    community_id: Id
    member_id: Id
    area_id: Id


class PartyGroupFormed(_PartyEvent):
    """A building party group (楼栋党小组) and its leader (党小组长)."""

    event_type: ClassVar[str] = "grassroots.organisation.PartyGroupFormed.v1"
    example: ClassVar[dict[str, object]] = {
        "branch_id": _BR,
        "community_id": _C,
        "building_id": _B,
        "leader_member_id": _M,
    }

    branch_id: Id
    community_id: Id
    building_id: Id
    leader_member_id: Id


class PartyGroupLeaderReplaced(_PartyEvent):
    """A building party group has a new leader."""

    event_type: ClassVar[str] = "grassroots.organisation.PartyGroupLeaderReplaced.v1"
    example: ClassVar[dict[str, object]] = {
        "branch_id": _BR,
        "community_id": _C,
        "building_id": _B,
        "leader_member_id": _M2,
        "replaced_member_id": _M,
    }

    branch_id: Id
    community_id: Id
    building_id: Id
    leader_member_id: Id
    replaced_member_id: Id


class PartyGroupDissolved(_PartyEvent):
    """A building party group was dissolved."""

    event_type: ClassVar[str] = "grassroots.organisation.PartyGroupDissolved.v1"
    example: ClassVar[dict[str, object]] = {"branch_id": _BR, "community_id": _C, "building_id": _B}

    branch_id: Id
    community_id: Id
    building_id: Id


EVENTS: tuple[type[PublicEvent], ...] = (
    BranchEstablished,
    BranchDissolved,
    BranchMemberAdmitted,
    BranchMemberRemoved,
    BranchSecretaryAppointed,
    CommitteeMemberAppointed,
    CommitteeMemberRemoved,
    PartyGroupFormed,
    PartyGroupLeaderReplaced,
    PartyGroupDissolved,
)
