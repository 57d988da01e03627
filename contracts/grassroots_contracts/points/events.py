"""Public events of red points (红色积分): the ledger, rule books, the love supermarket
(爱心超市), the yearly double evaluation (双考评) and awards.

Every ledger entry names what caused it: the source event (its CloudEvents id and type)
and the rule, or, for a manual award, the approver. Member ids only; no names.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.privacy import Code, Id, NotPersonal, OfficialName
from grassroots_contracts.topics import POINTS_EVENTS

_C = "7d3f1c2e-0b1a-4c55-9a57-1f0e4b8f2c11"
_M = "0193a7c2-0000-7000-8000-00000000e001"
_E = "0193a7c2-0000-7000-8000-0000000f1001"
_I = "0193a7c2-0000-7000-8000-0000000d0001"
_R = "0193a7c2-0000-7000-8000-0000000d1001"
_AT = "2026-05-09T09:30:00Z"

EntryKind = Literal["award", "deduction", "reversal", "manual", "redemption", "refund"]
Grade = Literal["excellent", "qualified", "basically_qualified", "unqualified"]


class _PointsEvent(PublicEvent):
    topic: ClassVar[str] = POINTS_EVENTS.name

    community_id: Id = Field(description="the community it belongs to; also the Kafka key")


class PointsEntered(_PointsEvent):
    """One line of a member's statement; the balance is the sum of the lines."""

    event_type: ClassVar[str] = "grassroots.points.PointsEntered.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "member_id": _M,
        "entry_id": "entry-0001",
        "kind": "award",
        "amount": 5,
        "rule_id": "request_resolved",
        "rule_book": "东安县:3",
        "source_event_id": _E,
        "source_type": "grassroots.requests.RequestResolved.v1",
        "occurred_at": _AT,
        "expires_on": None,
        "capped": False,
    }

    member_id: Id
    entry_id: Id
    kind: EntryKind
    amount: int = Field(description="signed: negative for deductions, reversals, redemptions")
    rule_id: Id | None = None
    rule_book: Code | None = Field(default=None, description="<scope>:<version> that scored it")
    source_event_id: Id | None = Field(default=None, description="the event that caused it")
    source_type: Code | None = None
    occurred_at: AwareDatetime = Field(description="when what it rewards happened")
    expires_on: date | None = None
    capped: bool = Field(default=False, description="cut down to the rule's remaining cap")


class RuleSpec(BaseModel):
    """One rule of a rule book."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: Id
    trigger: Code = Field(description="the source event type it scores")
    amount: int = Field(description="points per event, or per hour for hours; negative deducts")
    per_hour: bool = False
    cap_day: int | None = Field(default=None, ge=0)
    cap_month: int | None = Field(default=None, ge=0)
    cap_year: int | None = Field(default=None, ge=0)
    expires_after_days: int | None = Field(default=None, ge=1)


class RuleBookPublished(_PointsEvent):
    """A version of the county's rule book, or of a community's overrides, from a date on."""

    event_type: ClassVar[str] = "grassroots.points.RuleBookPublished.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "county": "东安县",
        "scope": "county",
        "book_version": 3,
        "effective_from": "2026-01-01",
        "rules": [
            {
                "rule_id": "request_resolved",
                "trigger": "grassroots.requests.RequestResolved.v1",
                "amount": 5,
                "per_hour": False,
                "cap_day": 20,
                "cap_month": None,
                "cap_year": None,
                "expires_after_days": None,
            }
        ],
    }

    county: OfficialName
    scope: Literal["county", "community"] = Field(
        description="county-wide, or a community's overrides (community_id names which)"
    )
    book_version: int = Field(ge=1)
    effective_from: date
    rules: list[RuleSpec]


class SupermarketItemStocked(_PointsEvent):
    """Goods on the love supermarket's (爱心超市) shelf: new, re-priced or restocked."""

    event_type: ClassVar[str] = "grassroots.points.SupermarketItemStocked.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "item_id": _I,
        "name": "食用油 5L",
        "price": 50,
        "added": 20,
        "stock": 20,
    }

    item_id: Id
    name: OfficialName
    price: int = Field(ge=1, description="in points")
    added: int = Field(ge=0)
    stock: int = Field(ge=0)


class RedemptionRecorded(_PointsEvent):
    """A member exchanged points for goods."""

    event_type: ClassVar[str] = "grassroots.points.RedemptionRecorded.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "redemption_id": _R,
        "member_id": _M,
        "item_id": _I,
        "quantity": 1,
        "points": 50,
        "stock": 19,
    }

    redemption_id: Id
    member_id: Id
    item_id: Id
    quantity: int = Field(ge=1)
    points: int = Field(ge=1)
    stock: int = Field(ge=0, description="left on the shelf")


class RedemptionCancelled(_PointsEvent):
    """A redemption was undone: the goods back on the shelf, the points refunded."""

    event_type: ClassVar[str] = "grassroots.points.RedemptionCancelled.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "redemption_id": _R,
        "member_id": _M,
        "item_id": _I,
        "quantity": 1,
        "stock": 20,
    }

    redemption_id: Id
    member_id: Id
    item_id: Id
    quantity: int = Field(ge=1)
    stock: int = Field(ge=0)


class CommunityRatingGiven(_PointsEvent):
    """A community rated a member for the year (residence or contact community)."""

    event_type: ClassVar[str] = "grassroots.points.CommunityRatingGiven.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "member_id": _M,
        "year": 2026,
        "role": "residence",
        "score": 90,
    }

    member_id: Id
    year: int
    role: Literal["residence", "contact"]
    score: int = Field(ge=0, le=100)


class MemberGraded(_PointsEvent):
    """The yearly double evaluation (双考评) of a member."""

    event_type: ClassVar[str] = "grassroots.points.MemberGraded.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "member_id": _M,
        "year": 2026,
        "points": 180,
        "residence_score": 90,
        "contact_score": 85,
        "score": 87.5,
        "grade": "excellent",
        "reported_both": True,
    }

    member_id: Id
    year: int
    points: int
    residence_score: int | None
    contact_score: Annotated[
        int | None, NotPersonal("score", "the score the contact community (联系社区) gave")
    ]
    score: float
    grade: Grade
    reported_both: bool = Field(description="reported to both communities (双报到) that year")


class AwardRecorded(_PointsEvent):
    """An honour of the year: best family (最美家庭) or best building (最美楼栋)."""

    event_type: ClassVar[str] = "grassroots.points.AwardRecorded.v1"
    example: ClassVar[dict[str, object]] = {
        "community_id": _C,
        "award_id": "award-0001",
        "kind": "best_building",
        "year": 2026,
        "subject_id": "0193a7c2-0000-7000-8000-00000000b001",
    }

    award_id: Id
    kind: Literal["best_family", "best_building"]
    year: int
    subject_id: Id = Field(description="the household id or the building id")


EVENTS: tuple[type[PublicEvent], ...] = (
    PointsEntered,
    RuleBookPublished,
    SupermarketItemStocked,
    RedemptionRecorded,
    RedemptionCancelled,
    CommunityRatingGiven,
    MemberGraded,
    AwardRecorded,
)
