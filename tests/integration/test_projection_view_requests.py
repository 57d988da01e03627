"""The requests view: status, overdue, the three rates, times to respond and resolve, whistles."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import chain, zip_longest

import pytest
from grassroots_contracts.requests import lifecycle as rq
from grassroots_eventkit.codec import ReceivedEvent
from projections_service.views.requests_figures import (
    Durations,
    Rate,
    Times,
    Whistles,
    category_counts,
    monthly,
    open_counts,
    overdue_count,
    overdue_list,
    status_counts,
    times,
    whistles,
)

from tests.support.projection_events import Feed, projected

pytestmark = pytest.mark.integration

C1, C2 = "c-chating", "c-longxi"
T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)  # Monday 4 May, 09:00 CST


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


class Requests:
    """The requests service's public events for one community, with its deadlines."""

    def __init__(self, feed: Feed, community_id: str = C1) -> None:
        self.feed = feed
        self.community_id = community_id

    def _e(self, model: type, request_id: str, at: datetime, **fields: object) -> ReceivedEvent:
        return self.feed.event(
            model, at=at, request_id=request_id, community_id=self.community_id, **fields
        )

    def submitted(
        self,
        request_id: str,
        at: datetime = T0,
        *,
        category: str = "repairs",
        respond_in: timedelta = timedelta(days=1),
        resolve_in: timedelta = timedelta(days=7),
    ) -> ReceivedEvent:
        return self._e(
            rq.RequestSubmitted,
            request_id,
            at,
            category=category,
            submitted_at=at.isoformat(),
            respond_by=(at + respond_in).isoformat(),
            resolve_by=(at + resolve_in).isoformat(),
        )

    def claimed(self, request_id: str, at: datetime, member: str = "M1") -> ReceivedEvent:
        return self._e(
            rq.RequestClaimed, request_id, at, member_id=member, claimed_at=at.isoformat()
        )

    def escalated(
        self,
        request_id: str,
        at: datetime,
        *,
        to_level: str = "community",
        department: str | None = None,
        whistle: str = "routine",
        automatic: bool = False,
    ) -> ReceivedEvent:
        return self._e(
            rq.RequestEscalated,
            request_id,
            at,
            from_level="compound",
            to_level=to_level,
            department=department,
            whistle=whistle,
            automatic=automatic,
            escalated_at=at.isoformat(),
        )

    def department_reported(self, request_id: str, at: datetime, department: str):
        return self._e(
            rq.DepartmentReported,
            request_id,
            at,
            department=department,
            reported_at=at.isoformat(),
        )

    def resolved(self, request_id: str, at: datetime) -> ReceivedEvent:
        return self._e(
            rq.RequestResolved,
            request_id,
            at,
            resolved_at=at.isoformat(),
            confirm_by=(at + timedelta(days=7)).isoformat(),
        )

    def rated(self, request_id: str, at: datetime, rating: str) -> ReceivedEvent:
        return self._e(rq.RequestRated, request_id, at, rating=rating, rated_at=at.isoformat())

    def reopened(self, request_id: str, at: datetime) -> ReceivedEvent:
        return self._e(
            rq.RequestReopened,
            request_id,
            at,
            reopened_at=at.isoformat(),
            resolve_by=(at + timedelta(days=7)).isoformat(),
        )

    def closed(self, request_id: str, at: datetime, outcome: str = "resolved") -> ReceivedEvent:
        reason = "rated" if outcome == "resolved" else "reopened_too_often"
        return self._e(
            rq.RequestClosed,
            request_id,
            at,
            outcome=outcome,
            reason=reason,
            closed_at=at.isoformat(),
        )

    def cancelled(self, request_id: str, at: datetime) -> ReceivedEvent:
        return self._e(rq.RequestCancelled, request_id, at, cancelled_at=at.isoformat())

    def rejected(self, request_id: str, at: datetime) -> ReceivedEvent:
        return self._e(rq.RequestRejected, request_id, at, rejected_at=at.isoformat())

    def merged(self, request_id: str, at: datetime) -> ReceivedEvent:
        return self._e(
            rq.RequestMerged, request_id, at, into_request_id="r1", merged_at=at.isoformat()
        )

    def routed(self, request_id: str, at: datetime) -> ReceivedEvent:
        return self._e(rq.RequestRouted, request_id, at, routed_at=at.isoformat())


def interleaved(*histories: list[ReceivedEvent]) -> list[ReceivedEvent]:
    """Each request's events in order, the requests' events interleaved (as on the topic)."""
    return [e for e in chain.from_iterable(zip_longest(*histories)) if e is not None]


def lifecycles(r: Requests) -> list[ReceivedEvent]:
    s, m = r.submitted, minutes
    return interleaved(
        [s("r1"), r.routed("r1", m(1))],
        [s("r2"), r.claimed("r2", m(5))],
        [s("r3"), r.claimed("r3", m(5)), r.escalated("r3", m(60))],
        [
            s("r4"),
            r.escalated("r4", m(10), to_level="department", department="housing"),
            r.department_reported("r4", m(30), "housing"),
        ],
        [s("r5"), r.claimed("r5", m(5)), r.resolved("r5", m(90))],
        [
            s("r6"),
            r.claimed("r6", m(5)),
            r.resolved("r6", m(90)),
            r.rated("r6", m(100), "dissatisfied"),
            r.reopened("r6", m(100)),
        ],
        [
            s("r7", category="sanitation"),
            r.escalated("r7", m(10)),
            r.resolved("r7", m(90)),
            r.reopened("r7", m(100)),
        ],
        [
            s("r8", category="sanitation"),
            r.claimed("r8", m(5)),
            r.resolved("r8", m(90)),
            r.rated("r8", m(100), "satisfied"),
            r.closed("r8", m(100)),
        ],
        [s("r9", category="sanitation"), r.cancelled("r9", m(5))],
        [s("r10", category="sanitation"), r.rejected("r10", m(5))],
        [s("r11", category="sanitation"), r.merged("r11", m(5))],
    )


@pytest.mark.parametrize("batch", [1, 7, 100], ids=["one-by-one", "batches-of-7", "one-batch"])
async def test_each_transition_leaves_the_request_in_its_status(stack, batch):
    async with projected(stack, "requests") as feed:
        await feed.apply_in(lifecycles(Requests(feed)), batch)

        assert await status_counts(feed.pool, C1) == {
            "open": 3,  # submitted r1, escalated r3, reopened r7 (escalated: nobody holds it)
            "claimed": 3,  # claimed r2, department r4, reopened r6 (still held)
            "resolved": 1,
            "closed": 1,
            "cancelled": 1,
            "rejected": 1,
            "merged": 1,
        }
        assert await category_counts(feed.pool, C1) == {
            "repairs": {"open": 2, "claimed": 3, "resolved": 1},
            "sanitation": {"open": 1, "closed": 1, "cancelled": 1, "rejected": 1, "merged": 1},
        }


async def test_a_community_without_requests_has_every_status_at_zero(stack):
    async with projected(stack, "requests") as feed:
        await feed.apply([Requests(feed, C2).submitted("x1")])

        counts = await status_counts(feed.pool, C1)
        assert counts == dict.fromkeys(counts, 0)
        assert len(counts) == 7


async def test_overdue_is_open_or_claimed_past_a_deadline_at_the_given_now(stack):
    async with projected(stack, "requests") as feed:
        r = Requests(feed)
        await feed.apply(
            [
                r.submitted("unanswered"),
                r.submitted("answered"),
                r.claimed("answered", minutes(30)),
                r.submitted("past-resolve-by", resolve_in=timedelta(days=1)),
                r.claimed("past-resolve-by", minutes(30)),
                r.submitted("resolved", resolve_in=timedelta(hours=2)),
                r.resolved("resolved", minutes(60)),
                r.submitted("cancelled"),
                r.cancelled("cancelled", minutes(30)),
                r.submitted("escalated-after-claim"),
                r.claimed("escalated-after-claim", minutes(30)),
                r.escalated("escalated-after-claim", minutes(40)),
            ]
        )

        assert await overdue_count(feed.pool, C1, T0 + timedelta(hours=1)) == 0
        assert await overdue_count(feed.pool, C1, T0 + timedelta(days=2)) == 2
        assert await overdue_count(feed.pool, C1, T0 + timedelta(days=8)) == 4
        assert await open_counts(feed.pool, [C1, C2], T0 + timedelta(days=2)) == {C1: (4, 2)}
        listed = await overdue_list(feed.pool, C1, T0 + timedelta(days=2))
        assert {(o.request_id, o.answered) for o in listed} == {
            ("unanswered", False),
            ("past-resolve-by", True),
        }
        later = await overdue_list(feed.pool, C1, T0 + timedelta(days=8))
        assert len(later) == 4
        assert len(await overdue_list(feed.pool, C1, T0 + timedelta(days=8), limit=3)) == 3


def a_month_of_requests(r: Requests) -> list[ReceivedEvent]:
    m, day = minutes, timedelta(days=1)
    return [
        # answered in time, resolved, satisfied, closed resolved
        r.submitted("a"),
        r.claimed("a", m(10)),
        r.resolved("a", T0 + day),
        r.rated("a", T0 + 2 * day, "satisfied"),
        r.closed("a", T0 + 2 * day),
        # answered late, dissatisfied twice, closed unresolved
        r.submitted("b"),
        r.claimed("b", T0 + 2 * day),
        r.resolved("b", T0 + 3 * day),
        r.rated("b", T0 + 3 * day, "dissatisfied"),
        r.reopened("b", T0 + 3 * day),
        r.resolved("b", T0 + 4 * day),
        r.rated("b", T0 + 5 * day, "dissatisfied"),
        r.closed("b", T0 + 5 * day, outcome="unresolved"),
        # never answered, respond_by long past: late
        r.submitted("c"),
        # never answered, respond_by still ahead at NOW: not counted yet
        r.submitted("d", datetime(2026, 5, 19, 12, 0, tzinfo=UTC)),
        # withdrawn before anyone answered: left out
        r.submitted("e"),
        r.cancelled("e", T0 + 2 * day),
        # resolved straight away (no claim): answered in time, basically satisfied
        r.submitted("f"),
        r.resolved("f", m(60)),
        r.rated("f", T0 + day, "basically_satisfied"),
        r.closed("f", T0 + day),
        # 30 April 17:00 UTC is 1 May 01:00 CST: a May request
        r.submitted("g", datetime(2026, 4, 30, 17, 0, tzinfo=UTC)),
        r.claimed("g", datetime(2026, 4, 30, 18, 0, tzinfo=UTC)),
        # an April request answered in time
        r.submitted("h", datetime(2026, 4, 10, 1, 0, tzinfo=UTC)),
        r.claimed("h", datetime(2026, 4, 10, 2, 0, tzinfo=UTC)),
    ]


NOW = datetime(2026, 5, 20, 0, 0, tzinfo=UTC)


async def test_the_three_rates_of_each_month_with_numerator_and_denominator(stack):
    async with projected(stack, "requests") as feed:
        await feed.apply(a_month_of_requests(Requests(feed)))

        april, may = (await monthly(feed.pool, [C1], date(2026, 4, 1), date(2026, 5, 1), NOW))[C1]
        assert (april.month, may.month) == (date(2026, 4, 1), date(2026, 5, 1))
        assert (april.response, april.resolution, april.satisfaction) == (
            Rate(1, 1),
            Rate(0, 0),
            Rate(0, 0),
        )
        assert may.response == Rate(3, 5)  # a, f, g in time of a, b, c, f, g
        assert may.resolution == Rate(2, 3)  # a, f resolved of a, b, f closed
        assert may.satisfaction == Rate(2, 4)  # a, f of four ratings (b twice)
        assert (may.response.value, may.resolution.value, may.mean) == (0.6, 0.6667, 0.5889)
        assert april.mean == 1.0


async def test_an_unanswered_request_counts_as_late_once_its_respond_by_has_passed(stack):
    async with projected(stack, "requests") as feed:
        r = Requests(feed)
        await feed.apply(
            [
                r.submitted("silent"),
                r.submitted("withdrawn"),
                r.cancelled("withdrawn", minutes(30)),
                r.submitted("rejected"),
                r.rejected("rejected", T0 + timedelta(days=2)),
                r.submitted("claimed-then-cancelled"),
                r.claimed("claimed-then-cancelled", minutes(20)),
                r.cancelled("claimed-then-cancelled", minutes(40)),
            ]
        )

        def may(now: datetime):
            return monthly(feed.pool, [C1], date(2026, 5, 1), date(2026, 5, 1), now)

        before = (await may(T0 + timedelta(hours=23)))[C1][0]
        after = (await may(T0 + timedelta(days=3)))[C1][0]
        assert before.response == Rate(1, 1)  # only the answered one, answered in time
        assert after.response == Rate(1, 2)  # the silent one is now late; cancelled ones not
        assert after.response.value == 0.5


async def test_times_to_respond_and_resolve_are_percentiles_over_the_standing_end_points(stack):
    async with projected(stack, "requests") as feed:
        r, m = Requests(feed), minutes
        await feed.apply(
            [
                # responds at 10; escalated and claimed again later: the first answer stands
                r.submitted("r1"),
                r.claimed("r1", m(10)),
                r.escalated("r1", m(15)),
                r.claimed("r1", m(90), member="M2"),
                r.resolved("r1", m(120)),
                # responds at 20; its resolution at 300 is undone by the reopening
                r.submitted("r2"),
                r.claimed("r2", m(20)),
                r.resolved("r2", m(300)),
                r.reopened("r2", m(400)),
                # responds at 60, resolved at 600 and closed resolved
                r.submitted("r3"),
                r.claimed("r3", m(60)),
                r.resolved("r3", m(600)),
                r.closed("r3", m(700)),
                # responds at 30; closed unresolved: no resolution time
                r.submitted("r4"),
                r.claimed("r4", m(30)),
                r.resolved("r4", m(50)),
                r.reopened("r4", m(55)),
                r.resolved("r4", m(70)),
                r.closed("r4", m(80), outcome="unresolved"),
                r.submitted("r5"),  # never answered
            ]
        )

        assert await times(feed.pool, C1) == Times(
            respond=Durations(count=4, p50=25.0, p90=51.0),  # of 10, 20, 30, 60
            resolve=Durations(count=2, p50=360.0, p90=552.0),  # of 120, 600
        )
        assert await times(feed.pool, C2) == Times(
            Durations(0, None, None), Durations(0, None, None)
        )


async def test_whistles_by_level_department_and_kind(stack):
    async with projected(stack, "requests") as feed:
        r, m = Requests(feed), minutes
        await feed.apply(
            [
                r.submitted("r1"),
                r.escalated("r1", m(10), automatic=True),
                r.escalated(
                    "r1",
                    m(20),
                    to_level="department",
                    department="public_security",
                    whistle="tough_problem",
                ),
                r.submitted("r2"),
                r.escalated(
                    "r2", m(10), to_level="department", department="housing", whistle="emergency"
                ),
                r.submitted("r3"),
                r.escalated("r3", m(30), automatic=True),
            ]
        )

        assert await whistles(feed.pool, C1) == Whistles(
            total=4,
            by_to_level={"community": 2, "department": 2},
            by_department={"public_security": 1, "housing": 1},
            by_kind={"routine": 2, "tough_problem": 1, "emergency": 1},
            automatic=2,
        )
        assert (await whistles(feed.pool, C2)).total == 0


async def test_replaying_requests_already_in_place_changes_no_figure(stack):
    async with projected(stack, "requests") as feed:
        events = a_month_of_requests(Requests(feed)) + lifecycles(Requests(feed, C2))

        async def figures():
            return (
                await status_counts(feed.pool, C1),
                await status_counts(feed.pool, C2),
                await monthly(feed.pool, [C1, C2], date(2026, 4, 1), date(2026, 5, 1), NOW),
                await times(feed.pool, C1),
                await whistles(feed.pool, C2),
                await overdue_count(feed.pool, C1, NOW),
            )

        await feed.apply(events)
        before = await figures()
        await feed.apply(events[:10])
        await feed.apply(events)

        assert await figures() == before
        assert before[2][C1][1].satisfaction == Rate(2, 4)
        assert before[4].total == 3
