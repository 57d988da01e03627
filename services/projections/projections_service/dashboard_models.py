"""The dashboard's JSON shapes: the county overview and one community's picture."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RateView(_Frozen):
    numerator: int
    denominator: int
    value: float | None


class MonthRatesView(_Frozen):
    month: str
    response_rate: RateView
    resolution_rate: RateView
    satisfaction_rate: RateView
    mean: float | None


class CountyRow(_Frozen):
    rank: int
    community_id: str
    name: str
    town: str
    rates: MonthRatesView
    reporting_rate: float | None
    open_requests: int
    overdue: int
    volunteer_hours: float
    members: int
    volunteer_hours_per_member: float | None
    rota_slots: int
    rota_gaps: int


class CountyView(_Frozen):
    county: str
    today: date
    month: str
    weekend: date
    communities: list[CountyRow]


class RatioView(_Frozen):
    total: int
    covered: int
    rate: float | None


class ReportingView(_Frozen):
    period: int
    in_service_members: int
    reported_to_residence: int
    reported_to_contact: int
    reported_to_both: int
    rate: float | None


class DurationView(_Frozen):
    count: int
    p50: float | None
    p90: float | None


class OverdueView(_Frozen):
    request_id: str
    category: str
    status: str
    holder: str | None
    respond_by: datetime
    resolve_by: datetime
    answered: bool


class RequestsView(_Frozen):
    by_status: dict[str, int]
    by_category: dict[str, dict[str, int]]
    open: int
    overdue: int
    overdue_list: list[OverdueView]
    minutes_to_respond: DurationView
    minutes_to_resolve: DurationView


class WhistlesView(_Frozen):
    total: int
    automatic: int
    by_to_level: dict[str, int]
    by_department: dict[str, int]
    by_kind: dict[str, int]


class MonthHoursView(_Frozen):
    month: str
    hours: float
    members: int


class TeamHoursView(_Frozen):
    month: str
    certified_by: str
    certifier: str
    team: str | None
    hours: float
    members: int


class ActivitiesView(_Frozen):
    month: str
    held: int
    residents_served: int


class SlotView(_Frozen):
    slot_id: str
    area: str
    starts_at: datetime
    ends_at: datetime
    holder: str | None


class RotaView(_Frozen):
    weekend: date
    slots: list[SlotView]
    gaps: int


class VolunteeringView(_Frozen):
    hours_by_month: list[MonthHoursView]
    hours_by_team: list[TeamHoursView]
    activities: list[ActivitiesView]
    rota: RotaView


class LeaderView(_Frozen):
    member_id: str
    points: int


class LeaderboardView(_Frozen):
    period: str
    leaders: list[LeaderView]


class ItemView(_Frozen):
    item_id: str
    name: str
    price: int
    stock: int
    redeemed: int


class SupermarketView(_Frozen):
    items: list[ItemView]
    redemptions: int


class PointsView(_Frozen):
    leaderboard_month: LeaderboardView
    leaderboard_year: LeaderboardView
    supermarket: SupermarketView


class UnitOrgsView(_Frozen):
    year: int
    paired: int
    reported: int
    rate: float | None


class PledgeView(_Frozen):
    pledge_id: str
    unit_org_id: str
    title: str
    status: str


class CommunityView(_Frozen):
    community_id: str
    name: str
    county: str
    town: str
    today: date
    rates: list[MonthRatesView]
    requests: RequestsView
    whistles: WhistlesView
    volunteering: VolunteeringView
    points: PointsView
    coverage: dict[str, RatioView]
    reporting: ReportingView
    unit_organisations: UnitOrgsView
    pledges: list[PledgeView]
    as_of: datetime | None = None


class SnapshotProgress(_Frozen):
    """A past picture still being replayed (status building) or that failed (ask again)."""

    as_of: datetime
    status: str
    events_read: int
    events_total: int
    events_per_s: float | None
    eta_s: float | None
    error: str | None
