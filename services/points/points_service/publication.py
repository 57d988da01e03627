"""What the world sees of each stored event: its public counterpart, or nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grassroots_contracts.events import PublicEvent
from grassroots_contracts.points import events as pub
from grassroots_eventkit.domain import DomainEvent

from points_service.domain import account, evaluation, rulebook, supermarket

Mapper = Callable[[Any, Any], PublicEvent | None]


def _entered(e: account.PointsEntered, s: account.Account) -> PublicEvent:
    return pub.PointsEntered(
        community_id=e.community_id,
        member_id=e.member_id,
        entry_id=e.entry_id,
        kind=e.kind,
        amount=e.amount,
        rule_id=e.rule_id,
        rule_book=e.book,
        source_event_id=e.source_event_id,
        source_type=e.source_type,
        occurred_at=e.occurred_at,
        expires_on=e.expires_on,
        capped=e.capped,
    )


def _book(e: rulebook.RuleBookPublished, s: rulebook.RuleBook) -> PublicEvent:
    return pub.RuleBookPublished(
        community_id=rulebook.community_of(s),
        county=e.county,
        scope="community" if e.community_id else "county",
        book_version=e.version,
        effective_from=e.effective_from,
        rules=[pub.RuleSpec(**r.model_dump()) for r in e.rules],
    )


def _stocked(e: supermarket.ItemStocked, s: supermarket.Supermarket) -> PublicEvent:
    return pub.SupermarketItemStocked(
        community_id=e.community_id,
        item_id=e.item_id,
        name=e.name,
        price=e.price,
        added=e.added,
        stock=e.stock,
    )


def _taken(e: supermarket.GoodsTaken, s: supermarket.Supermarket) -> PublicEvent:
    return pub.RedemptionRecorded(
        community_id=e.community_id,
        redemption_id=e.redemption_id,
        member_id=e.member_id,
        item_id=e.item_id,
        quantity=e.quantity,
        points=e.points,
        stock=e.stock,
    )


def _returned(e: supermarket.GoodsReturned, s: supermarket.Supermarket) -> PublicEvent:
    return pub.RedemptionCancelled(
        community_id=e.community_id,
        redemption_id=e.redemption_id,
        member_id=e.member_id,
        item_id=e.item_id,
        quantity=e.quantity,
        stock=e.stock,
    )


def _rated(e: evaluation.CommunityRated, s: evaluation.Evaluation) -> PublicEvent:
    return pub.CommunityRatingGiven(
        community_id=s.home_community_id,
        member_id=e.member_id,
        year=e.year,
        role=e.role,
        score=e.score,
    )


def _graded(e: evaluation.MemberGraded, s: evaluation.Evaluation) -> PublicEvent:
    return pub.MemberGraded(
        community_id=e.home_community_id,
        member_id=e.member_id,
        year=e.year,
        points=e.points,
        residence_score=e.residence_score,
        contact_score=e.contact_score,
        score=e.score,
        grade=e.grade,
        reported_both=e.reported_both,
    )


def _award(e: evaluation.AwardRecorded, s: evaluation.Awards) -> PublicEvent:
    return pub.AwardRecorded(
        community_id=e.community_id,
        award_id=e.award_id,
        kind=e.kind,
        year=e.year,
        subject_id=e.subject_id,
    )


MAPPERS: dict[type[DomainEvent], Mapper | None] = {
    account.PointsEntered: _entered,
    account.ScoredNothing: None,  # remembered by the account only: nothing to enter
    rulebook.RuleBookPublished: _book,
    supermarket.ItemStocked: _stocked,
    supermarket.GoodsTaken: _taken,
    supermarket.GoodsReturned: _returned,
    evaluation.CommunityRated: _rated,
    evaluation.MemberGraded: _graded,
    evaluation.AwardRecorded: _award,
}


def to_public(event: DomainEvent, state_after: Any) -> PublicEvent | None:
    mapper = MAPPERS[type(event)]
    return mapper(event, state_after) if mapper else None
