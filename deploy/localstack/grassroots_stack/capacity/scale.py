"""The figures the capacity simulation scales by: how big a county and a province are, how
big one community is, and how often each thing happens in a community on an ordinary day.

Sources (docs/capacity.md explains each choice):
- the seed article (seed/dongan-article.zh.txt, 2022-05-09): Dong'an's 8 urban communities
  solved 1000+ residents' problems and held 200+ service activities "this year" (1 January to
  9 May, 129 days); 6000+ in-service members reported to them; 300+ volunteer events;
- the Dong'an demo (grassroots_stack/demo): the shape of a community (compounds, areas,
  buildings, units, coverage shares), the request outcome mix, the weekend rota (5 areas,
  morning and afternoon, both days: 20 slots, 1-3 gaps), 9 activities per community;
- public statistics for Hunan (estimates, not measured here): 14 prefectures, 122
  county-level divisions, about 29,000 villages and communities (村/社区) after the
  2016-2017 mergers, about 66 million residents (2.6 per household), about 4.3 million
  party members.

Every rate is per community and per day. The article's rates are those of large urban
communities; applied to every village and community of a province they are an upper
bound, which is what a capacity plan wants.
"""

from __future__ import annotations

from dataclasses import dataclass

# Hunan: 122 county-level divisions; ~29,000 villages and communities / 122 ≈ 240 each.
PROVINCE_COUNTIES = 122
COMMUNITIES_PER_COUNTY = 240
PROVINCE_COMMUNITIES = PROVINCE_COUNTIES * COMMUNITIES_PER_COUNTY  # 29,280

# The article's window: 1 January to 9 May 2022.
ARTICLE_DAYS = 129
ARTICLE_COMMUNITIES = 8


@dataclass(frozen=True, slots=True)
class CommunityShape:
    """One average village or community of the province (the onboarding's size).

    ~25 million households / ~29,000 ≈ 860 households; ~4.3 million party members /
    ~29,000 ≈ 150 members. Shares of coverage as in the demo (generator.Sizes)."""

    compounds: int = 6  # 小区 or, in a village, 村民小组
    areas_per_compound: int = 2
    buildings: int = 70
    households_per_building: int = 12  # 70 × 12 = 840 households
    members: int = 150
    in_service_share: float = 0.35  # reports to residence and contact community (双报到)
    resident_share: float = 0.25  # the rest are retired
    branch_share: float = 0.9  # compounds with a branch
    group_share: float = 0.8  # buildings with a party group
    household_member_share: float = 0.6  # households with a responsible member
    teams: int = 4  # volunteer teams (志愿服务队)
    team_members: int = 12  # members per team
    supermarket_items: int = 8  # goods in the love supermarket (爱心超市)
    unit_orgs_paired: int = 1  # unit party organisations paired with it (双结对)

    @property
    def households(self) -> int:
        return self.buildings * self.households_per_building


@dataclass(frozen=True, slots=True)
class DailyRates:
    """Things started per community per day (means of Poisson draws)."""

    # 1000+ solved / 129 days / 8 communities ≈ 0.97 a day; about 80% of requests end
    # resolved in the outcome mix below, so ≈ 1.2 submitted.
    requests: float = 1.2
    # 200+ service activities / 129 / 8 ≈ 0.19 a day, plus volunteer events (300+ since the
    # stations opened): 0.3 a day, about two a week.
    activities: float = 0.3
    signups_per_activity: int = 14
    no_show_share: float = 0.1
    # The love supermarket: a redemption every other day; one in twenty is undone.
    redemptions: float = 0.5
    redemption_cancel_share: float = 0.05
    team_joins: float = 0.1
    # Requests with a progress note (the demo: 283 notes on 400 requests).
    progress_notes: float = 0.7
    # Weekend rota (党员周末轮班): 5 areas × morning/afternoon × Saturday/Sunday.
    rota_slots: int = 20
    rota_gaps: tuple[int, int] = (1, 3)
    shift_missed_share: float = 0.05
    # Pledges (承诺) a paired unit makes for a year: 1-2.
    pledges_per_unit_year: float = 1.5


# The state each request ends in, with its weight: the demo's outcome mix
# (demo/requests_traffic.OUTCOMES) without the snapshot states open/claimed/resolved,
# which every request passes through. "not_confirmed": resolved, never rated, closed
# when the confirmation time ran out.
REQUEST_OUTCOMES: dict[str, int] = {
    "closed_satisfied": 26,
    "closed_basically": 8,
    "not_confirmed": 12,
    "reopened": 6,
    "closed_unresolved": 2,
    "escalated_community": 6,
    "escalated_department": 6,
    "cancelled": 4,
    "rejected": 3,
    "merged": 3,
}

# Categories and their weights (demo/requests_traffic.CATEGORY_WEIGHTS), with the response
# and resolution deadlines in hours (the Beijing 12345 practice: urgent 2 h, utilities
# 24 h, general 7 days, complex 15 days).
CATEGORIES: dict[str, tuple[int, int, int]] = {
    "repairs": (26, 24, 7 * 24),
    "sanitation": (20, 24, 7 * 24),
    "elderly_care": (12, 24, 7 * 24),
    "utilities": (10, 2, 24),
    "neighbour_dispute": (9, 24, 15 * 24),
    "safety": (7, 2, 24),
    "paperwork": (7, 24, 7 * 24),
    "health": (5, 24, 7 * 24),
    "other": (4, 24, 7 * 24),
}

# Share of a day's events in each hour, China time (0-23): office hours carry most, with
# the morning and afternoon peaks of a service hall or hotline. An estimate.
HOURLY_PROFILE: tuple[float, ...] = (
    0.3, 0.2, 0.1, 0.1, 0.1, 0.3, 0.8, 2.5,  # 00-07
    6.5, 9.0, 9.5, 7.5, 4.0, 4.5, 7.5, 8.5,  # 08-15
    8.5, 7.0, 4.5, 3.5, 3.0, 2.0, 1.2, 0.5,  # 16-23
)  # fmt: skip


def peak_hour_share() -> float:
    """The busiest hour's share of a day: events/s at peak = per day × this / 3600."""
    return max(HOURLY_PROFILE) / sum(HOURLY_PROFILE)


@dataclass(frozen=True, slots=True)
class Province:
    """The communities a simulation makes: `counties` counties of `per_county` each."""

    communities: int = PROVINCE_COMMUNITIES
    per_county: int = COMMUNITIES_PER_COUNTY
    shape: CommunityShape = CommunityShape()
    rates: DailyRates = DailyRates()

    @property
    def counties(self) -> int:
        return -(-self.communities // self.per_county)
