"""What residents can ask for (the service codes), how fast, and who is called when it stalls.

Deadlines follow the Beijing 12345 practice: urgent matters get feedback within 2 h,
water/power/gas are done within 24 h, general matters within 7 days, complex ones
within 15 days. The county may override any category's windows in settings.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

DeadlineClass = Literal["urgent", "utilities", "general", "complex"]


class DeadlineRule(BaseModel):
    """How long a member has to claim (respond) and to resolve."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    respond_within: timedelta = Field(gt=timedelta(0))
    resolve_within: timedelta = Field(gt=timedelta(0))


DEADLINE_CLASSES: dict[DeadlineClass, DeadlineRule] = {
    "urgent": DeadlineRule(respond_within=timedelta(hours=2), resolve_within=timedelta(hours=24)),
    "utilities": DeadlineRule(
        respond_within=timedelta(hours=4), resolve_within=timedelta(hours=24)
    ),
    "general": DeadlineRule(respond_within=timedelta(hours=24), resolve_within=timedelta(days=7)),
    "complex": DeadlineRule(respond_within=timedelta(hours=24), resolve_within=timedelta(days=15)),
}


class Department(BaseModel):
    """A county department (县直部门) that answers a whistle."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name_zh: str
    name_en: str


DEPARTMENTS: dict[str, Department] = {
    d.code: d
    for d in (
        Department(code="public_security", name_zh="县公安局", name_en="Public security"),
        Department(code="health", name_zh="县卫健局", name_en="Health"),
        Department(
            code="administrative_approval",
            name_zh="县行政审批服务局",
            name_en="Administrative approval",
        ),
        Department(code="housing", name_zh="县住建局", name_en="Housing and construction"),
        Department(code="urban_management", name_zh="县城管局", name_en="Urban management"),
        Department(code="civil_affairs", name_zh="县民政局", name_en="Civil affairs"),
        Department(code="justice", name_zh="县司法局", name_en="Justice"),
    )
}


class Category(BaseModel):
    """One service code: what it covers, its deadline class and the department it calls."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name_zh: str
    name_en: str
    description: str
    deadline_class: DeadlineClass
    department: str | None = Field(
        description="the department an automatic whistle calls when the community cannot solve it"
    )
    keywords: tuple[str, ...] = ()


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category(
            code="safety",
            name_zh="安全隐患",
            name_en="Safety hazard",
            description="fire exits blocked, loose wiring, falling objects, gas smells",
            deadline_class="urgent",
            department="public_security",
            keywords=("fire", "gas", "danger"),
        ),
        Category(
            code="utilities",
            name_zh="水电气",
            name_en="Water, power and gas",
            description="no water, a power cut, a gas supply fault",
            deadline_class="utilities",
            department="housing",
            keywords=("water", "power", "gas"),
        ),
        Category(
            code="repairs",
            name_zh="房屋维修",
            name_en="Repairs",
            description="leaking roofs, broken stairwell lights, doors and locks of common areas",
            deadline_class="general",
            department="housing",
            keywords=("leak", "light", "lift"),
        ),
        Category(
            code="sanitation",
            name_zh="环境卫生",
            name_en="Sanitation",
            description="rubbish, blocked drains, pests, clutter in corridors",
            deadline_class="general",
            department="urban_management",
            keywords=("rubbish", "drain"),
        ),
        Category(
            code="elderly_care",
            name_zh="养老助老",
            name_en="Elderly care",
            description="help for elderly residents living alone, meals, visits",
            deadline_class="general",
            department="civil_affairs",
            keywords=("elderly", "visit"),
        ),
        Category(
            code="health",
            name_zh="医疗卫生",
            name_en="Health",
            description="home visits by the community doctor, vaccination, chronic illness care",
            deadline_class="general",
            department="health",
        ),
        Category(
            code="paperwork",
            name_zh="办事咨询",
            name_en="Paperwork and approvals",
            description="certificates, permits, benefits: what to bring and where to go",
            deadline_class="general",
            department="administrative_approval",
        ),
        Category(
            code="neighbour_dispute",
            name_zh="邻里纠纷",
            name_en="Neighbour dispute",
            description="noise, parking, shared walls and water leaks between flats",
            deadline_class="complex",
            department="justice",
            keywords=("noise", "parking"),
        ),
        Category(
            code="other",
            name_zh="其他",
            name_en="Other",
            description="anything else a resident needs from the community",
            deadline_class="general",
            department=None,
        ),
    )
}


def deadline_rule(category: Category, overrides: dict[str, DeadlineRule]) -> DeadlineRule:
    """The county's override for this category, or its class's default."""
    return overrides.get(category.code) or DEADLINE_CLASSES[category.deadline_class]
