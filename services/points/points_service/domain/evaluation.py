"""The yearly double evaluation (双考评) of a member, and the community's awards.

The residence community and the contact community each rate the member (0-100); the
grade combines the year's points with the two ratings. A member who did not report to
both communities that year (双报到; for members not in service, to their residence
community) cannot be graded qualified or above.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from grassroots_eventkit.domain import (
    Command,
    CommandRejected,
    Decider,
    DomainEvent,
    EventTypes,
    IdFactory,
)
from grassroots_eventkit.values import EntityId
from pydantic import BaseModel, ConfigDict, Field

STREAM_TYPE = "evaluation"
Grade = Literal["excellent", "qualified", "basically_qualified", "unqualified"]
GRADES: tuple[Grade, ...] = ("excellent", "qualified", "basically_qualified", "unqualified")


def evaluation_id(member_id: str, year: int) -> str:
    return f"evaluation:{member_id}:{year}"


class Thresholds(BaseModel):
    """Scores (0-100) from which each grade is given; points count up to `full_points`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    excellent: float = 90
    qualified: float = 75
    basically_qualified: float = 60
    full_points: int = Field(default=100, ge=1, description="a year's points worth 100")
    points_weight: float = Field(default=0.4, ge=0, le=1)


class RateMember(Command):
    member_id: EntityId
    year: int = Field(ge=2000, le=2100)
    home_community_id: EntityId
    community_id: EntityId
    role: Literal["residence", "contact"]
    score: int = Field(ge=0, le=100)


class GradeMember(Command):
    member_id: EntityId
    year: int = Field(ge=2000, le=2100)
    home_community_id: EntityId
    points: int
    reported_both: bool
    thresholds: Thresholds


EvaluationCommand = RateMember | GradeMember


class CommunityRated(DomainEvent):
    event_name = "CommunityRated"

    member_id: str
    year: int
    community_id: str
    home_community_id: str
    role: Literal["residence", "contact"]
    score: int


class MemberGraded(DomainEvent):
    event_name = "MemberGraded"

    member_id: str
    year: int
    home_community_id: str
    points: int
    residence_score: int | None
    contact_score: int | None
    score: float
    grade: Grade
    reported_both: bool


EvaluationEvent = CommunityRated | MemberGraded


@dataclass(frozen=True, slots=True)
class Evaluation:
    member_id: str
    year: int
    home_community_id: str
    scores: dict[str, int] = field(default_factory=dict)  # role -> score
    grade: Grade | None = None


def score_of(points: int, residence: int | None, contact: int | None, t: Thresholds) -> float:
    """Points (capped at full_points, as 0-100) weighted with the mean of the ratings given."""
    ratings = [s for s in (residence, contact) if s is not None]
    rated = sum(ratings) / len(ratings) if ratings else 0.0
    points_part = min(max(points, 0), t.full_points) / t.full_points * 100
    return round(t.points_weight * points_part + (1 - t.points_weight) * rated, 2)


def grade_of(score: float, reported_both: bool, t: Thresholds) -> Grade:
    grade: Grade = (
        "excellent"
        if score >= t.excellent
        else "qualified"
        if score >= t.qualified
        else "basically_qualified"
        if score >= t.basically_qualified
        else "unqualified"
    )
    if not reported_both and grade in ("excellent", "qualified"):
        return "basically_qualified"  # no double report, no qualified grade
    return grade


def decide(
    state: Evaluation | None, command: EvaluationCommand, *, now: datetime, new_id: IdFactory
) -> list[EvaluationEvent]:
    match command:
        case RateMember():
            return [
                CommunityRated(
                    member_id=command.member_id,
                    year=command.year,
                    community_id=command.community_id,
                    home_community_id=command.home_community_id,
                    role=command.role,
                    score=command.score,
                )
            ]
        case GradeMember():
            scores = state.scores if state else {}
            if "residence" not in scores:
                raise CommandRejected(
                    "residence_rating_missing",
                    "the residence community rates the member before the grade",
                )
            residence, contact = scores.get("residence"), scores.get("contact")
            score = score_of(command.points, residence, contact, command.thresholds)
            return [
                MemberGraded(
                    member_id=command.member_id,
                    year=command.year,
                    home_community_id=command.home_community_id,
                    points=command.points,
                    residence_score=residence,
                    contact_score=contact,
                    score=score,
                    grade=grade_of(score, command.reported_both, command.thresholds),
                    reported_both=command.reported_both,
                )
            ]
    raise AssertionError(f"unhandled command {command!r}")


def evolve(state: Evaluation | None, event: EvaluationEvent) -> Evaluation:
    match event:
        case CommunityRated():
            base = state or Evaluation(event.member_id, event.year, event.home_community_id)
            return replace(base, scores={**base.scores, event.role: event.score})
        case MemberGraded():
            base = state or Evaluation(event.member_id, event.year, event.home_community_id)
            return replace(base, home_community_id=event.home_community_id, grade=event.grade)
    raise AssertionError(f"unhandled event {event!r}")


def community_of(state: Evaluation | None) -> str:
    assert state is not None
    return state.home_community_id


DECIDER: Decider[Evaluation | None, EvaluationCommand, EvaluationEvent] = Decider(
    stream_type=STREAM_TYPE,
    initial_state=None,
    decide=decide,
    evolve=evolve,
    event_types=EventTypes(CommunityRated, MemberGraded),
)


# --- awards -----------------------------------------------------------------------------

AWARDS_STREAM_TYPE = "awards"
AwardKind = Literal["best_family", "best_building"]


def awards_id(community_id: str, year: int) -> str:
    return f"awards:{community_id}:{year}"


class RecordAward(Command):
    community_id: EntityId
    year: int = Field(ge=2000, le=2100)
    kind: AwardKind
    subject_id: EntityId


class AwardRecorded(DomainEvent):
    event_name = "AwardRecorded"

    award_id: str
    community_id: str
    year: int
    kind: AwardKind
    subject_id: str


@dataclass(frozen=True, slots=True)
class Awards:
    community_id: str
    given: frozenset[tuple[str, str]] = frozenset()  # (kind, subject)


def decide_award(
    state: Awards | None, command: RecordAward, *, now: datetime, new_id: IdFactory
) -> list[AwardRecorded]:
    if state and (command.kind, command.subject_id) in state.given:
        raise CommandRejected(
            "already_awarded", "that award was given to it this year", field="subject_id"
        )
    return [
        AwardRecorded(
            award_id=f"{command.kind}:{command.year}:{command.subject_id}",
            community_id=command.community_id,
            year=command.year,
            kind=command.kind,
            subject_id=command.subject_id,
        )
    ]


def evolve_award(state: Awards | None, event: AwardRecorded) -> Awards:
    base = state or Awards(event.community_id)
    return replace(base, given=base.given | {(event.kind, event.subject_id)})


def awards_community(state: Awards | None) -> str:
    assert state is not None
    return state.community_id


AWARDS: Decider[Awards | None, RecordAward, AwardRecorded] = Decider(
    stream_type=AWARDS_STREAM_TYPE,
    initial_state=None,
    decide=decide_award,
    evolve=evolve_award,
    event_types=EventTypes(AwardRecorded),
)
