"""Handlers: who may act, then load · decide · append through the runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
from grassroots_eventkit.auth import Forbidden, Principal
from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner, load_aggregate
from grassroots_eventkit.domain import Command, CommandRejected, Decider, InvalidValue, NotFound
from grassroots_eventkit.store import EventStore

from points_service.domain import account, evaluation, rulebook, supermarket
from points_service.views import directory_model

STAFF = ("community_staff", "grid_worker")


def is_staff(principal: Principal, community_id: str, county: str) -> bool:
    if principal.has_role("county_admin") and principal.county == county:
        return True
    return principal.has_role(*STAFF) and community_id in principal.communities


@dataclass(frozen=True, slots=True)
class Desk:
    runner: CommandRunner
    store: EventStore
    pool: asyncpg.Pool
    principal: Principal
    ctx: CommandContext

    async def run(
        self, decider: Decider[Any, Any, Any], stream_id: str, command: Command, community_of: Any
    ) -> Accepted:
        return await self.runner.run(
            decider, stream_id=stream_id, command=command, ctx=self.ctx, community_of=community_of
        )

    def then(self) -> Desk:
        """For a handler's second command: the client's Idempotency-Key belongs to its
        first one (whose stored answer a retry gets back); the later steps are idempotent
        by their own ids."""
        return Desk(self.runner, self.store, self.pool, self.principal, self.ctx.next_step())

    async def county(self, community_id: str) -> str:
        county = await directory_model.county_of(self.pool, community_id)
        if county is None:
            raise NotFound("community_not_found", f"no community {community_id} (yet)")
        return county

    async def require_staff(self, community_id: str) -> str:
        county = await self.county(community_id)
        if not is_staff(self.principal, community_id, county):
            raise Forbidden("only the community's staff or the county's administrators")
        return county

    async def member(self, member_id: str, *, field: str = "member_id") -> asyncpg.Record:
        found = await directory_model.member(self.pool, member_id)
        if found is None:
            raise InvalidValue("unknown_member", f"no party member {member_id}", field=field)
        return found


async def publish_rulebook(
    desk: Desk, county: str, community_id: str | None, effective_from: date, rules: tuple[Any, ...]
) -> Accepted:
    if community_id is None:
        if not (desk.principal.has_role("county_admin") and desk.principal.county == county):
            raise Forbidden("the county's rule book is the county administrators'")
    else:
        if await desk.require_staff(community_id) != county:
            raise InvalidValue(
                "community_elsewhere", "that community is in another county", field="community_id"
            )
    stream = rulebook.book_stream(county, community_id)
    cmd = rulebook.PublishRuleBook(
        stream_id=stream,
        county=county,
        community_id=community_id,
        effective_from=effective_from,
        rules=rules,
    )
    return await desk.run(rulebook.DECIDER, stream, cmd, rulebook.community_of)


async def manual_award(
    desk: Desk, member_id: str, amount: int, reason: str, approver: str
) -> Accepted:
    member = await desk.member(member_id)
    await desk.require_staff(member["community_id"])
    cmd = account.ManualAward(
        member_id=member_id,
        community_id=member["community_id"],
        amount=amount,
        reason=reason,
        approver=approver,
        recorded_by=desk.principal.subject,
    )
    return await desk.run(account.DECIDER, account.account_id(member_id), cmd, account.community_of)


async def stock_item(desk: Desk, cmd: supermarket.StockItem) -> Accepted:
    await desk.require_staff(cmd.community_id)
    return await desk.run(
        supermarket.DECIDER,
        supermarket.supermarket_id(cmd.community_id),
        cmd,
        supermarket.community_of,
    )


async def redeem(
    desk: Desk,
    community_id: str,
    redemption_id: str,
    member_id: str | None,
    item_id: str,
    quantity: int,
) -> Accepted:
    """Goods first (stock is the supermarket's rule), then points (the account's); if the
    points fall short the goods go back, and the member is told why. Retrying with the
    same redemption id finishes a redemption a crash interrupted."""
    county = await desk.county(community_id)
    if is_staff(desk.principal, community_id, county):
        if member_id is None:
            raise InvalidValue("member_required", "name the member", field="member_id")
    elif desk.principal.has_role("member") and member_id in (None, desk.principal.subject):
        member_id = desk.principal.subject
    else:
        raise Forbidden("a member redeems for themselves; staff for the community's members")
    member = await desk.member(member_id)
    shop_id = supermarket.supermarket_id(community_id)
    take = supermarket.TakeGoods(
        community_id=community_id,
        redemption_id=redemption_id,
        member_id=member_id,
        item_id=item_id,
        quantity=quantity,
    )
    accepted = await desk.run(supermarket.DECIDER, shop_id, take, supermarket.community_of)
    _, shop = await load_aggregate(desk.store, supermarket.DECIDER, shop_id)
    points = shop.taken[redemption_id][3]
    spend = account.Redeem(
        member_id=member_id,
        community_id=member["community_id"],
        redemption_id=redemption_id,
        points=points,
    )
    try:
        await desk.then().run(
            account.DECIDER, account.account_id(member_id), spend, account.community_of
        )
    except CommandRejected:
        back = supermarket.ReturnGoods(community_id=community_id, redemption_id=redemption_id)
        await desk.then().run(supermarket.DECIDER, shop_id, back, supermarket.community_of)
        raise
    return accepted


async def cancel_redemption(desk: Desk, community_id: str, redemption_id: str) -> Accepted:
    await desk.require_staff(community_id)
    shop_id = supermarket.supermarket_id(community_id)
    _, shop = await load_aggregate(desk.store, supermarket.DECIDER, shop_id)
    if shop is None or redemption_id not in shop.taken:
        raise NotFound("redemption_not_found", f"no redemption {redemption_id}")
    member_id = shop.taken[redemption_id][0]
    back = supermarket.ReturnGoods(community_id=community_id, redemption_id=redemption_id)
    accepted = await desk.run(supermarket.DECIDER, shop_id, back, supermarket.community_of)
    refund = account.Refund(member_id=member_id, redemption_id=redemption_id)
    await desk.then().run(
        account.DECIDER, account.account_id(member_id), refund, account.community_of
    )
    return accepted


async def rate_member(
    desk: Desk, member_id: str, year: int, community_id: str, score: int
) -> Accepted:
    member = await desk.member(member_id)
    await desk.require_staff(community_id)
    if community_id == member["community_id"]:
        role = "residence"
    elif community_id == member["contact_community_id"]:
        role = "contact"
    else:
        raise CommandRejected(
            "not_the_members_community",
            "only the residence and the contact community rate a member",
            field="community_id",
        )
    stream = evaluation.evaluation_id(member_id, year)
    cmd = evaluation.RateMember(
        member_id=member_id,
        year=year,
        home_community_id=member["community_id"],
        community_id=community_id,
        role=role,  # type: ignore[arg-type]
        score=score,
    )
    return await desk.run(evaluation.DECIDER, stream, cmd, evaluation.community_of)


async def grade_member(
    desk: Desk, member_id: str, year: int, thresholds: evaluation.Thresholds
) -> Accepted:
    member = await desk.member(member_id)
    await desk.require_staff(member["community_id"])
    points = await desk.pool.fetchval(
        "SELECT coalesce(sum(amount), 0) FROM pt_entries WHERE member_id = $1"
        " AND kind IN ('award', 'deduction', 'reversal', 'manual')"
        " AND extract(year FROM occurred_at AT TIME ZONE 'Asia/Shanghai') = $2",
        member_id,
        year,
    )
    cmd = evaluation.GradeMember(
        member_id=member_id,
        year=year,
        home_community_id=member["community_id"],
        points=int(points),
        reported_both=await directory_model.reported_both(desk.pool, member_id, year),
        thresholds=thresholds,
    )
    stream = evaluation.evaluation_id(member_id, year)
    return await desk.run(evaluation.DECIDER, stream, cmd, evaluation.community_of)


async def record_award(desk: Desk, cmd: evaluation.RecordAward) -> Accepted:
    await desk.require_staff(cmd.community_id)
    stream = evaluation.awards_id(cmd.community_id, cmd.year)
    return await desk.run(evaluation.AWARDS, stream, cmd, evaluation.awards_community)
