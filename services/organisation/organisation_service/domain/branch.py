"""The compound party branch (小区党支部) aggregate: its members, secretary, committee
members by area, and building party groups (楼栋党小组) with their leaders.

One branch per compound: the branch's stream id is derived from the compound's, so a
second branch for the same compound is the same stream and is refused as existing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
    NotFound,
)
from pydantic import AwareDatetime, Field

from organisation_service.domain.names import EntityId

STREAM_TYPE = "branch"
_BRANCH_NAMESPACE = uuid.UUID("6f1d3c2a-9b8e-4f7d-a6c5-b4e3d2c1f0a9")


def branch_id_for(compound_id: str) -> str:
    return str(uuid.uuid5(_BRANCH_NAMESPACE, f"branch/{compound_id}"))


class EstablishBranch(Command):
    """The handler has checked that the compound exists."""

    branch_id: EntityId
    compound_id: EntityId
    community_id: EntityId
    county: str


class AdmitBranchMember(Command):
    branch_id: EntityId
    member_id: EntityId


class AdmitBranchMembers(Command):
    """Many members at once (a new branch, or a move of many); handler-checked members."""

    branch_id: EntityId
    member_ids: tuple[EntityId, ...] = Field(min_length=1, max_length=500)


class RemoveBranchMember(Command):
    branch_id: EntityId
    member_id: EntityId


class AppointSecretary(Command):
    branch_id: EntityId
    member_id: EntityId


class ReplaceSecretary(Command):
    branch_id: EntityId
    member_id: EntityId


class AppointCommitteeMember(Command):
    """The handler has checked that the area belongs to the branch's compound."""

    branch_id: EntityId
    member_id: EntityId
    area_id: EntityId


class RemoveCommitteeMember(Command):
    branch_id: EntityId
    member_id: EntityId


class FormPartyGroup(Command):
    """The handler has checked that the building is in the branch's compound."""

    branch_id: EntityId
    building_id: EntityId
    leader_member_id: EntityId


class ReplaceGroupLeader(Command):
    branch_id: EntityId
    building_id: EntityId
    leader_member_id: EntityId


class DissolvePartyGroup(Command):
    branch_id: EntityId
    building_id: EntityId


class DissolveBranch(Command):
    branch_id: EntityId


BranchCommand = (
    EstablishBranch
    | AdmitBranchMember
    | AdmitBranchMembers
    | RemoveBranchMember
    | AppointSecretary
    | ReplaceSecretary
    | AppointCommitteeMember
    | RemoveCommitteeMember
    | FormPartyGroup
    | ReplaceGroupLeader
    | DissolvePartyGroup
    | DissolveBranch
)


class BranchEstablished(DomainEvent):
    event_name = "BranchEstablished"

    branch_id: str
    compound_id: str
    community_id: str
    county: str
    established_at: AwareDatetime


class BranchMemberAdmitted(DomainEvent):
    event_name = "BranchMemberAdmitted"

    branch_id: str
    member_id: str


class BranchMemberRemoved(DomainEvent):
    event_name = "BranchMemberRemoved"

    branch_id: str
    member_id: str


class SecretaryAppointed(DomainEvent):
    event_name = "SecretaryAppointed"

    branch_id: str
    member_id: str
    replaced_member_id: str | None


class CommitteeMemberAppointed(DomainEvent):
    event_name = "CommitteeMemberAppointed"

    branch_id: str
    member_id: str
    area_id: str


class CommitteeMemberRemoved(DomainEvent):
    event_name = "CommitteeMemberRemoved"

    branch_id: str
    member_id: str
    area_id: str


class PartyGroupFormed(DomainEvent):
    event_name = "PartyGroupFormed"

    branch_id: str
    building_id: str
    leader_member_id: str


class GroupLeaderReplaced(DomainEvent):
    event_name = "GroupLeaderReplaced"

    branch_id: str
    building_id: str
    leader_member_id: str
    replaced_member_id: str


class PartyGroupDissolved(DomainEvent):
    event_name = "PartyGroupDissolved"

    branch_id: str
    building_id: str


class BranchDissolved(DomainEvent):
    event_name = "BranchDissolved"

    branch_id: str
    dissolved_at: AwareDatetime


BranchEvent = (
    BranchEstablished
    | BranchMemberAdmitted
    | BranchMemberRemoved
    | SecretaryAppointed
    | CommitteeMemberAppointed
    | CommitteeMemberRemoved
    | PartyGroupFormed
    | GroupLeaderReplaced
    | PartyGroupDissolved
    | BranchDissolved
)


@dataclass(frozen=True, slots=True)
class Branch:
    branch_id: str
    compound_id: str
    community_id: str
    county: str
    members: frozenset[str] = frozenset()
    secretary: str | None = None
    committee: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    groups: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    dissolved: bool = False

    def posts_of(self, member_id: str) -> list[str]:
        posts = []
        if self.secretary == member_id:
            posts.append("secretary")
        if member_id in self.committee:
            posts.append("committee member")
        posts += [
            f"leader of the group of building {b}" for b, m in self.groups.items() if m == member_id
        ]
        return posts


def _member_of(state: Branch, member_id: str, rule: str) -> None:
    if member_id not in state.members:
        raise CommandRejected(
            rule, f"member {member_id} is not a member of this branch", field="member_id"
        )


def decide(
    state: Branch | None, command: BranchCommand, *, now: datetime, new_id: IdFactory
) -> list[BranchEvent]:
    if isinstance(command, EstablishBranch):
        if state is not None and not state.dissolved:
            raise CommandRejected(
                "branch_already_established",
                f"compound {command.compound_id} already has a branch",
                field="compound_id",
            )
        return [
            BranchEstablished(
                branch_id=command.branch_id,
                compound_id=command.compound_id,
                community_id=command.community_id,
                county=command.county,
                established_at=now,
            )
        ]
    if state is None:
        raise NotFound("branch_not_found", f"no branch {command.branch_id}")
    if state.dissolved:
        raise CommandRejected("branch_dissolved", "this branch has been dissolved")
    b = state.branch_id
    match command:
        case AdmitBranchMember():
            if command.member_id in state.members:
                return []
            return [BranchMemberAdmitted(branch_id=b, member_id=command.member_id)]
        case AdmitBranchMembers():
            fresh = dict.fromkeys(m for m in command.member_ids if m not in state.members)
            return [BranchMemberAdmitted(branch_id=b, member_id=m) for m in fresh]
        case RemoveBranchMember():
            if command.member_id not in state.members:
                return []
            posts = state.posts_of(command.member_id)
            if posts:
                raise CommandRejected(
                    "member_holds_post",
                    f"member {command.member_id} is {', '.join(posts)}; hand over first",
                    field="member_id",
                )
            return [BranchMemberRemoved(branch_id=b, member_id=command.member_id)]
        case AppointSecretary():
            if state.secretary == command.member_id:
                return []
            if state.secretary is not None:
                raise CommandRejected(
                    "secretary_already_appointed",
                    "a branch has one secretary; replace the current one instead",
                    field="member_id",
                )
            _member_of(state, command.member_id, "secretary_not_branch_member")
            return [
                SecretaryAppointed(
                    branch_id=b, member_id=command.member_id, replaced_member_id=None
                )
            ]
        case ReplaceSecretary():
            if state.secretary is None:
                raise CommandRejected(
                    "no_secretary_to_replace", "the branch has no secretary; appoint one"
                )
            if state.secretary == command.member_id:
                return []
            _member_of(state, command.member_id, "secretary_not_branch_member")
            return [
                SecretaryAppointed(
                    branch_id=b, member_id=command.member_id, replaced_member_id=state.secretary
                )
            ]
        case AppointCommitteeMember():
            _member_of(state, command.member_id, "committee_member_not_branch_member")
            if state.committee.get(command.member_id) == command.area_id:
                return []
            covering = [m for m, a in state.committee.items() if a == command.area_id]
            if covering:
                raise CommandRejected(
                    "area_already_covered",
                    f"area {command.area_id} is covered by committee member {covering[0]}",
                    field="area_id",
                )
            events: list[BranchEvent] = []
            if command.member_id in state.committee:
                events.append(
                    CommitteeMemberRemoved(
                        branch_id=b,
                        member_id=command.member_id,
                        area_id=state.committee[command.member_id],
                    )
                )
            events.append(
                CommitteeMemberAppointed(
                    branch_id=b, member_id=command.member_id, area_id=command.area_id
                )
            )
            return events
        case RemoveCommitteeMember():
            area = state.committee.get(command.member_id)
            if area is None:
                return []
            return [CommitteeMemberRemoved(branch_id=b, member_id=command.member_id, area_id=area)]
        case FormPartyGroup():
            if state.groups.get(command.building_id) == command.leader_member_id:
                return []
            if command.building_id in state.groups:
                raise CommandRejected(
                    "group_already_formed",
                    f"building {command.building_id} already has a party group; replace its leader",
                    field="building_id",
                )
            _member_of(state, command.leader_member_id, "group_leader_not_branch_member")
            return [
                PartyGroupFormed(
                    branch_id=b,
                    building_id=command.building_id,
                    leader_member_id=command.leader_member_id,
                )
            ]
        case ReplaceGroupLeader():
            current = _group(state, command.building_id)
            if current == command.leader_member_id:
                return []
            _member_of(state, command.leader_member_id, "group_leader_not_branch_member")
            return [
                GroupLeaderReplaced(
                    branch_id=b,
                    building_id=command.building_id,
                    leader_member_id=command.leader_member_id,
                    replaced_member_id=current,
                )
            ]
        case DissolvePartyGroup():
            _group(state, command.building_id)
            return [PartyGroupDissolved(branch_id=b, building_id=command.building_id)]
        case DissolveBranch():
            return [BranchDissolved(branch_id=b, dissolved_at=now)]
    raise AssertionError(f"unhandled command {command!r}")


def _group(state: Branch, building_id: str) -> str:
    leader = state.groups.get(building_id)
    if leader is None:
        raise NotFound(
            "group_not_found", f"building {building_id} has no party group", field="building_id"
        )
    return leader


def evolve(state: Branch | None, event: BranchEvent) -> Branch | None:
    if isinstance(event, BranchEstablished):
        return Branch(event.branch_id, event.compound_id, event.community_id, event.county)
    assert state is not None
    match event:
        case BranchMemberAdmitted():
            return replace(state, members=state.members | {event.member_id})
        case BranchMemberRemoved():
            return replace(state, members=state.members - {event.member_id})
        case SecretaryAppointed():
            return replace(state, secretary=event.member_id)
        case CommitteeMemberAppointed():
            return replace(
                state,
                committee=MappingProxyType({**state.committee, event.member_id: event.area_id}),
            )
        case CommitteeMemberRemoved():
            rest = {m: a for m, a in state.committee.items() if m != event.member_id}
            return replace(state, committee=MappingProxyType(rest))
        case PartyGroupFormed() | GroupLeaderReplaced():
            return replace(
                state,
                groups=MappingProxyType(
                    {**state.groups, event.building_id: event.leader_member_id}
                ),
            )
        case PartyGroupDissolved():
            rest = {k: v for k, v in state.groups.items() if k != event.building_id}
            return replace(state, groups=MappingProxyType(rest))
        case BranchDissolved():
            # A dissolved branch keeps its history; a new one may be established later.
            return replace(
                state,
                dissolved=True,
                secretary=None,
                committee=MappingProxyType({}),
                groups=MappingProxyType({}),
                members=frozenset(),
            )
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Branch | None) -> str:
    assert state is not None
    return state.community_id


DECIDER: Decider[Branch | None, BranchCommand, BranchEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(
        BranchEstablished,
        BranchMemberAdmitted,
        BranchMemberRemoved,
        SecretaryAppointed,
        CommitteeMemberAppointed,
        CommitteeMemberRemoved,
        PartyGroupFormed,
        GroupLeaderReplaced,
        PartyGroupDissolved,
        BranchDissolved,
    ),
)
