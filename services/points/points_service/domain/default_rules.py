"""The built-in county rule book, in force until a county publishes its own (docs/points.md).

Triggers are public event types of the other services; the points service's policies
score those events with whichever rules are in force on the day they happened.
"""

from __future__ import annotations

from points_service.domain.rulebook import Rule

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(
        rule_id="reported_for_duty",
        trigger="grassroots.organisation.MemberReported.v1",
        amount=10,
        cap_year=20,
    ),
    Rule(
        rule_id="request_resolved",
        trigger="grassroots.requests.RequestResolved.v1",
        amount=5,
        cap_day=20,
    ),
    Rule(
        rule_id="satisfied_rating",
        trigger="grassroots.requests.RequestRated.v1",
        amount=3,
        cap_day=15,
    ),
    Rule(
        rule_id="volunteer_hours",
        trigger="grassroots.volunteering.HoursCertified.v1",
        amount=2,
        per_hour=True,
        cap_month=80,
    ),
    Rule(
        rule_id="weekend_shift_served",
        trigger="grassroots.volunteering.ShiftServed.v1",
        amount=5,
    ),
    Rule(
        rule_id="activity_no_show",
        trigger="grassroots.volunteering.ActivityNoShow.v1",
        amount=-3,
    ),
    Rule(
        rule_id="weekend_shift_missed",
        trigger="grassroots.volunteering.ShiftMissed.v1",
        amount=-5,
    ),
)
