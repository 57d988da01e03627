"""A whole Dong'an county for the demo and the benchmarks: pure, seeded, no I/O.

`generate(seed, sizes, as_of)` returns plain frozen dataclasses that say *what* exists
(communities, compounds, areas, buildings, households, members, reports, the party
organisation, leaders, workers, unit organisations and their pledges) under stable
string keys. It knows nothing of HTTP or of server-made ids: the loader maps keys to
ids as the API answers. The same seed, sizes and `as_of` always give the same county.

Only a few names come from the source article (seed/dongan-article.zh.txt): the
county 东安县, the communities 茶亭社区 and 山子岭社区, the compounds 雍景园小区 (put in
茶亭社区) and 县生资公司居民小区 (in 山子岭社区, as the article says), and the unit
organisations it mentions (东安县供销联社, which pairs with 山子岭社区 as in the article;
the people's hospital, the culture-tourism bureau, the women's federation, public
security). Every other community, compound, unit and person name is invented, and
the scale follows the article's figures: 8 urban communities, 6000+ in-service members
reported, 100+ young members as building heads, 1-2 pledges per unit and year.

Each part of the county draws from its own random stream (`seed/part`), so changing
one part's sizes, or the reporting year, leaves the other parts as they were: a
county loaded in May and re-loaded in June differs only in what `as_of` governs.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from grassroots_stack.demo import dongan

DEFAULT_SEED = 20220509  # the article's publication date
DEFAULT_AS_OF = date(2022, 5, 9)
"""The generator is pure: "today" is a parameter. The loader passes the real date."""

MemberKind = Literal["in_service", "resident", "retired"]
UnitKind = Literal["county_office", "school", "hospital", "enterprise", "other"]
PledgeStatus = Literal["pledged", "in_progress", "done"]


# Sizes


@dataclass(frozen=True)
class Sizes:
    """How big a county to make. `scale` multiplies the county-wide counts (buildings,
    members, units, building heads, key compounds); the shape (compounds per community,
    areas per compound, units per building, coverage shares) stays realistic."""

    scale: float = 1.0
    communities: int = 8
    compounds_per_community: tuple[int, int] = (4, 8)
    areas_per_compound: tuple[int, int] = (2, 3)
    buildings: int = 400
    units_per_building: tuple[int, int] = (2, 4)
    in_service_members: int = 6000
    resident_members: int = 600
    retired_members: int = 900
    unit_orgs: int = 40
    branch_share: float = 0.9  # compounds with a branch
    group_share: float = 0.8  # buildings with a party group
    household_member_share: float = 0.6  # households with a responsible member
    building_heads: int = 120  # young in-service members (100多名在职青年党员)
    key_compounds: int = 6
    grid_workers_per_community: tuple[int, int] = (1, 2)

    def __post_init__(self) -> None:
        if self.scale <= 0:
            raise ValueError("scale must be positive")
        if self.communities < 2:
            raise ValueError("double report needs at least two communities")
        for lo, hi in (
            self.compounds_per_community,
            self.areas_per_compound,
            self.units_per_building,
            self.grid_workers_per_community,
        ):
            if not 1 <= lo <= hi:
                raise ValueError(f"bad range ({lo}, {hi})")
        if self.units_per_building[1] > 30:
            raise ValueError("the API allows at most 30 units per building")

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Sizes:
        """Back from `dataclasses.asdict` through JSON, which turns the ranges into lists."""
        fields: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in record.items()
        }
        return cls(**fields)

    def scaled(self, n: int, *, least: int = 1) -> int:
        return max(least, round(n * self.scale))


# The county


@dataclass(frozen=True, slots=True)
class Community:
    key: str
    name: str
    town: str


@dataclass(frozen=True, slots=True)
class Area:
    key: str
    name: str


@dataclass(frozen=True, slots=True)
class Compound:
    key: str
    community: str
    name: str
    areas: tuple[Area, ...]
    old: bool  # former work-unit housing (单位宿舍): walk-ups only, often a key compound


@dataclass(frozen=True, slots=True)
class Household:
    key: str
    unit: int
    room: str  # floor then door: 101, 102 ... 602, 1804


@dataclass(frozen=True, slots=True)
class Building:
    key: str
    community: str
    compound: str
    area: str
    name: str
    units: int
    floors: int
    households: tuple[Household, ...]


@dataclass(frozen=True, slots=True)
class Member:
    """`age` is not sent (the API has no such field); it picks the young building heads."""

    key: str
    name: str
    phone: str
    kind: MemberKind
    age: int
    community: str  # residence
    compound: str
    building: str
    household: str
    work_unit: str | None = None
    unit_org: str | None = None
    contact_community: str | None = None
    skills: tuple[str, ...] = ()
    wishes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    member: str
    community: str
    role: Literal["residence", "contact"]
    reported_on: date


@dataclass(frozen=True, slots=True)
class Branch:
    """Admission comes first: every post holder is in `members`."""

    key: str
    compound: str
    members: tuple[str, ...]
    secretary: str
    committee: tuple[tuple[str, str], ...]  # (member, area)
    groups: tuple[tuple[str, str], ...]  # (building, leader)


@dataclass(frozen=True, slots=True)
class HouseholdDuty:
    building: str
    household: str
    member: str


@dataclass(frozen=True, slots=True)
class BuildingHead:
    building: str
    member: str


@dataclass(frozen=True, slots=True)
class Leader:
    key: str  # also the API's leader_id
    name: str
    title: str


@dataclass(frozen=True, slots=True)
class CountyLink:
    community: str
    leader: Leader


@dataclass(frozen=True, slots=True)
class KeyCompound:
    compound: str
    leader: Leader


@dataclass(frozen=True, slots=True)
class Worker:
    key: str  # also the API's worker_id
    community: str
    name: str
    compounds: tuple[str, ...]
    role: Literal["grid_worker", "community_worker"] = "grid_worker"


@dataclass(frozen=True, slots=True)
class CommitteeSecretary:
    community: str
    member: str


@dataclass(frozen=True, slots=True)
class Pledge:
    key: str
    community: str
    year: int
    title: str
    status: PledgeStatus
    note: str | None  # a progress note, once started
    evidence: str | None  # the completion evidence, once done


@dataclass(frozen=True, slots=True)
class UnitOrg:
    key: str
    name: str  # the party organisation: 东安县人民医院党委
    unit: str  # the work unit its members name: 东安县人民医院
    kind: UnitKind
    community: str  # reports to and pairs with
    reported_on: date
    pledges: tuple[Pledge, ...]


@dataclass(frozen=True, slots=True)
class Figures:
    """What the organisation service's read model should show for one community."""

    compounds: int
    compounds_with_branch: int
    buildings: int
    buildings_with_group: int
    households: int
    households_with_member: int
    in_service_members: int
    reported_to_residence: int
    reported_to_contact: int
    reported_to_both: int


@dataclass(frozen=True)
class County:
    seed: int
    as_of: date
    sizes: Sizes
    name: str
    communities: tuple[Community, ...]
    compounds: tuple[Compound, ...]
    buildings: tuple[Building, ...]
    unit_orgs: tuple[UnitOrg, ...]
    members: tuple[Member, ...]
    reports: tuple[Report, ...]
    branches: tuple[Branch, ...]
    duties: tuple[HouseholdDuty, ...]
    heads: tuple[BuildingHead, ...]
    county_links: tuple[CountyLink, ...]
    key_compounds: tuple[KeyCompound, ...]
    workers: tuple[Worker, ...]
    committee_secretaries: tuple[CommitteeSecretary, ...]
    expected: Mapping[str, Figures] = field(repr=False)
    """Per community key: what the organisation's read model should show once loaded."""

    @property
    def period(self) -> int:
        """Reports and pledges are for the calendar year of `as_of`."""
        return self.as_of.year

    @property
    def households(self) -> int:
        return sum(len(b.households) for b in self.buildings)

    def counts(self) -> dict[str, int]:
        """The sizes a person reads first, also the loader's progress totals."""
        return {
            "communities": len(self.communities),
            "compounds": len(self.compounds),
            "areas": sum(len(c.areas) for c in self.compounds),
            "buildings": len(self.buildings),
            "households": self.households,
            "members": len(self.members),
            "in_service_members": sum(m.kind == "in_service" for m in self.members),
            "reports": len(self.reports),
            "branches": len(self.branches),
            "branch_members": sum(len(b.members) for b in self.branches),
            "party_groups": sum(len(b.groups) for b in self.branches),
            "household_duties": len(self.duties),
            "building_heads": len(self.heads),
            "unit_orgs": len(self.unit_orgs),
            "pledges": sum(len(u.pledges) for u in self.unit_orgs),
            "county_links": len(self.county_links),
            "key_compounds": len(self.key_compounds),
            "workers": len(self.workers),
        }


def _figures(
    communities: Sequence[Community],
    compounds: Sequence[Compound],
    buildings: Sequence[Building],
    members: Sequence[Member],
    reports: Sequence[Report],
    party: _Party,
) -> dict[str, Figures]:
    branched = {b.compound for b in party.branches}
    grouped = {building for b in party.branches for building, _ in b.groups}
    covered = {d.household for d in party.duties}
    in_service: dict[str, int] = defaultdict(int)
    for m in members:
        if m.kind == "in_service":
            in_service[m.community] += 1
    # Every in-service member reports to both communities (the demo's 100 %), so the
    # reporting counts of a community are those of the in-service members living there.
    reported = {(r.member, r.role) for r in reports}
    both: dict[str, int] = defaultdict(int)
    residence: dict[str, int] = defaultdict(int)
    contact: dict[str, int] = defaultdict(int)
    for m in members:
        if m.kind != "in_service":
            continue
        r, c = (m.key, "residence") in reported, (m.key, "contact") in reported
        residence[m.community] += r
        contact[m.community] += c
        both[m.community] += r and c
    out = {}
    for community in communities:
        mine = [c for c in compounds if c.community == community.key]
        standing = [b for b in buildings if b.community == community.key]
        homes = [h.key for b in standing for h in b.households]
        out[community.key] = Figures(
            compounds=len(mine),
            compounds_with_branch=sum(c.key in branched for c in mine),
            buildings=len(standing),
            buildings_with_group=sum(b.key in grouped for b in standing),
            households=len(homes),
            households_with_member=sum(h in covered for h in homes),
            in_service_members=in_service[community.key],
            reported_to_residence=residence[community.key],
            reported_to_contact=contact[community.key],
            reported_to_both=both[community.key],
        )
    return out


# Names (invented, except where the module docstring says)

_EXTRA_COMMUNITIES = (
    "新华社区", "建设社区", "和平社区", "解放社区", "人民社区", "文化社区",
    "东门社区", "西门社区", "南门社区", "北门社区", "龙溪社区", "书院社区",
)  # fmt: skip

_NAMED_COMPOUNDS = {"chating": "雍景园小区", "shanziling": "县生资公司居民小区"}

_NEW_COMPOUNDS = (
    "锦绣家园", "东方花园", "紫金苑", "阳光新城", "翡翠湾", "金色华庭", "滨江花园",
    "书香门第", "御景湾", "丽景苑", "桂花园", "和谐家园", "幸福里", "湘江明珠",
    "碧桂苑", "盛世华府", "江南名居", "望月湖小区", "学府佳苑", "泰和园", "凤凰城",
    "状元府", "怡景园", "天福华庭", "清风苑", "锦江花城", "金桂园", "云山雅居",
    "南湖公馆", "香樟园", "龙腾苑", "福星花园", "雅居乐园", "万福家园", "春晖苑",
    "银杏小区", "新港华城", "梧桐苑", "悦湖山庄", "兴隆佳园",
)  # fmt: skip

_OLD_COMPOUNDS = (
    "县粮食局宿舍小区", "县农机公司宿舍小区", "县二中教师宿舍", "县水泥厂生活区",
    "县交通局家属院", "县百货公司宿舍", "县卫生局家属院", "县酒厂生活区",
    "县电力公司宿舍", "县食品公司宿舍", "县印刷厂生活区", "县氮肥厂生活区",
    "县物资局宿舍", "县法院家属院", "县建筑公司宿舍", "县税务局家属院",
)  # fmt: skip

_AREA_SCHEMES = (
    ("东片区", "西片区", "中片区"),
    ("南片区", "北片区", "中片区"),
    ("一组团", "二组团", "三组团"),
    ("A区", "B区", "C区"),
    ("前排楼群", "后排楼群", "中排楼群"),
)

_SURNAMES = "唐李刘蒋邓周陈王张杨胡曾彭肖谭黄赵吴罗何邹龙石雷欧伍谢廖文段申席魏秦"
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰建华红梅志国海燕春林玉凤"
    "德文斌鹏辉丹宇浩婷雪琴波晨亮云龙飞俊峰宏晓慧佳琳新民福生卫东湘岚"
)

_SKILLS = (
    "电工", "水电维修", "法律咨询", "医疗护理", "心理疏导", "文艺演出", "摄影",
    "驾驶", "课业辅导", "计算机", "书法", "厨艺", "家电维修", "财会",
)  # fmt: skip
_WISHES = (
    "关爱空巢老人", "留守儿童辅导", "环境卫生清扫", "文明劝导", "反诈宣传",
    "矛盾调解", "义诊", "禁毒宣传", "垃圾分类宣传", "平安巡逻", "爱心超市值守",
)  # fmt: skip

# (kind, unit, suffix of its party organisation, how many members it employs, relatively)
_UNITS: tuple[tuple[UnitKind, str, str, int], ...] = (
    ("other", "东安县供销联社", "机关党支部", 2),
    ("hospital", "东安县人民医院", "党委", 8),
    ("county_office", "东安县文化旅游广电体育局", "机关党支部", 2),
    ("other", "东安县妇女联合会", "党支部", 1),
    ("county_office", "东安县公安局", "党委", 6),
    ("county_office", "中共东安县委组织部", "机关党支部", 2),
    ("county_office", "中共东安县委宣传部", "机关党支部", 1),
    ("county_office", "东安县纪委监委", "机关党支部", 2),
    ("county_office", "中共东安县委政法委员会", "机关党支部", 1),
    ("county_office", "东安县人民政府办公室", "机关党支部", 2),
    ("county_office", "东安县发展和改革局", "机关党支部", 2),
    ("county_office", "东安县教育局", "机关党总支", 3),
    ("county_office", "东安县财政局", "机关党支部", 3),
    ("county_office", "东安县人力资源和社会保障局", "机关党支部", 3),
    ("county_office", "东安县自然资源局", "机关党支部", 3),
    ("county_office", "东安县住房和城乡建设局", "机关党支部", 3),
    ("county_office", "东安县交通运输局", "机关党支部", 2),
    ("county_office", "东安县水利局", "机关党支部", 2),
    ("county_office", "东安县农业农村局", "机关党总支", 3),
    ("county_office", "东安县卫生健康局", "机关党支部", 2),
    ("county_office", "东安县市场监督管理局", "机关党总支", 3),
    ("county_office", "东安县民政局", "机关党支部", 2),
    ("county_office", "东安县司法局", "机关党支部", 2),
    ("county_office", "东安县应急管理局", "机关党支部", 2),
    ("county_office", "东安县城市管理和综合执法局", "机关党支部", 3),
    ("county_office", "东安县行政审批服务局", "机关党支部", 2),
    ("county_office", "国家税务总局东安县税务局", "机关党委", 3),
    ("county_office", "东安县医疗保障局", "机关党支部", 1),
    ("county_office", "东安县退役军人事务局", "机关党支部", 1),
    ("county_office", "东安县统计局", "机关党支部", 1),
    ("school", "东安县第一中学", "党委", 6),
    ("school", "东安县第二中学", "党总支", 4),
    ("school", "东安县职业中专学校", "党总支", 3),
    ("school", "东安县城关完全小学", "党支部", 3),
    ("school", "东安县实验小学", "党支部", 3),
    ("hospital", "东安县中医医院", "党委", 5),
    ("hospital", "东安县妇幼保健计划生育服务中心", "党支部", 2),
    ("enterprise", "国网东安县供电公司", "党委", 4),
    ("enterprise", "东安县自来水有限公司", "党支部", 2),
    ("enterprise", "东安农村商业银行", "党委", 3),
)

# Pledge titles by unit kind; {c} a community, {x} one of its compounds.
_PLEDGES: dict[UnitKind | Literal["any"], tuple[str, ...]] = {
    "hospital": ("为{c}空巢老人每月上门义诊", "在{x}设立家庭医生服务点", "{c}慢病筛查进小区"),
    "school": ("{c}留守儿童暑期课业辅导", "{c}“四点半课堂”托管服务", "{x}青少年禁毒宣传"),
    "enterprise": ("为{x}加装路灯", "{x}增设电动车充电棚", "{x}老旧管网改造"),
    "other": ("{x}环境卫生周末大清扫", "{c}爱心超市物资捐赠", "{x}修补路面台阶"),
    "county_office": (
        "{x}雨污分流改造",
        "{c}反电诈宣传进小区",
        "法律援助进{c}",
        "{x}垃圾分类亭建设",
        "为{x}修缮楼道扶手",
        "{c}就业技能培训",
    ),
    "any": ("{x}安装楼道照明", "{c}平安巡逻队建设", "{x}绿化提质"),
}

_COUNTY_LINK_TITLES = (
    "县委副书记",
    "县委常委、组织部部长",
    "县委常委、宣传部部长",
    "县委常委、政法委书记",
    "县委常委、纪委书记、监委主任",
    "县委常委、常务副县长",
    "县委常委、统战部部长",
    "县委常委、县委办主任",
)
_KEY_COMPOUND_TITLES = (
    "副县长",
    "副县长",
    "副县长",
    "县人大常委会副主任",
    "县人大常委会副主任",
    "县政协副主席",
)


# Generation


def generate(
    seed: int = DEFAULT_SEED, sizes: Sizes | None = None, as_of: date = DEFAULT_AS_OF
) -> County:
    """The county for this seed and these sizes, with reports and pledges of `as_of`'s year."""
    sizes = sizes or Sizes()
    communities = _communities(sizes)
    compounds = _compounds(random.Random(f"{seed}/compounds"), sizes, communities)
    buildings = _buildings(random.Random(f"{seed}/buildings"), sizes, compounds)
    units = _unit_orgs(random.Random(f"{seed}/units"), sizes, communities, compounds, as_of)
    members = _members(random.Random(f"{seed}/members"), sizes, buildings, units)
    reports = _reports(random.Random(f"{seed}/reports/{as_of.year}"), members, as_of)
    party = _Party(random.Random(f"{seed}/party"), sizes, compounds, buildings, members)
    leaders = random.Random(f"{seed}/leaders")
    names = _People(random.Random(f"{seed}/leader-names"))
    return County(
        seed=seed,
        as_of=as_of,
        sizes=sizes,
        name=dongan.COUNTY,
        communities=communities,
        compounds=compounds,
        buildings=buildings,
        unit_orgs=units,
        members=members,
        reports=reports,
        branches=party.branches,
        duties=party.duties,
        heads=party.heads,
        county_links=_county_links(names, communities),
        key_compounds=_key_compounds(leaders, names, sizes, compounds, buildings),
        workers=_workers(leaders, names, sizes, communities, compounds),
        committee_secretaries=party.committee_secretaries(communities),
        expected=_figures(communities, compounds, buildings, members, reports, party),
    )


class _People:
    """Names and mobile numbers; a number is never given twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._phones: set[str] = set()

    def name(self) -> str:
        given = "".join(self._rng.choices(_GIVEN, k=self._rng.choice((1, 2, 2, 2))))
        return self._rng.choice(_SURNAMES) + given

    def phone(self) -> str:
        while True:
            number = f"1{self._rng.choice('3456789')}{self._rng.randrange(10**9):09d}"
            if number not in self._phones:
                self._phones.add(number)
                return number


def _communities(sizes: Sizes) -> tuple[Community, ...]:
    base = [Community(c.key, c.name, c.town) for c in dongan.COMMUNITIES]
    extra = [
        Community(f"extra{n:03d}", _numbered(_EXTRA_COMMUNITIES, n, "社区"), dongan.COUNTY_SEAT)
        for n in range(max(0, sizes.communities - len(base)))
    ]
    return tuple((base + extra)[: sizes.communities])


def _numbered(pool: Sequence[str], n: int, suffix: str) -> str:
    """The n-th name of a pool; past its end, the pool again as 二期, 三期 ..."""
    name = pool[n % len(pool)]
    rounds = n // len(pool)
    if rounds == 0:
        return name
    stem = name.removesuffix(suffix)
    return f"{stem}{'二三四五六七八九'[(rounds - 1) % 8]}期{suffix}"


def _compounds(
    rng: random.Random, sizes: Sizes, communities: Sequence[Community]
) -> tuple[Compound, ...]:
    new_names = list(_NEW_COMPOUNDS)
    old_names = list(_OLD_COMPOUNDS)
    rng.shuffle(new_names)
    rng.shuffle(old_names)
    used = 0
    out: list[Compound] = []
    for community in communities:
        count = rng.randint(*sizes.compounds_per_community)
        named = _NAMED_COMPOUNDS.get(community.key)
        for n in range(count):
            if n == 0 and named:
                name, old = named, named.startswith("县")
            else:
                old = rng.random() < 0.3
                pool = old_names if old else new_names
                name = _numbered(pool, used, "小区")
                used += 1
                if not name.endswith(("小区", "宿舍", "生活区", "家属院")):
                    name += "小区"
            key = f"{community.key}.c{n + 1:02d}"
            scheme = rng.choice(_AREA_SCHEMES)
            areas = tuple(
                Area(f"{key}.a{i + 1}", scheme[i])
                for i in range(min(len(scheme), rng.randint(*sizes.areas_per_compound)))
            )
            out.append(Compound(key, community.key, name, areas, old))
    return tuple(out)


def _buildings(
    rng: random.Random, sizes: Sizes, compounds: Sequence[Compound]
) -> tuple[Building, ...]:
    # Former work-unit compounds are small; new estates carry most of the county seat.
    weights = [rng.uniform(0.4, 0.9) if c.old else rng.uniform(0.8, 2.2) for c in compounds]
    # At least one building per area: below scale ~0.3 the grid stops shrinking; ask for
    # fewer compounds (`compounds_per_community`) to go smaller still.
    least = [len(c.areas) for c in compounds]
    counts = _apportion(max(sizes.scaled(sizes.buildings), sum(least)), weights, least)
    out: list[Building] = []
    for compound, count in zip(compounds, counts, strict=True):
        for n in range(count):
            key = f"{compound.key}.b{n + 1:02d}"
            area = compound.areas[n * len(compound.areas) // count]
            # Walk-ups: 5-7 floors, two flats a landing; new mid-rises: 10-17 floors, 2-3.
            if compound.old or rng.random() < 0.2:
                floors, per_floor = rng.randint(5, 7), 2
            else:
                floors, per_floor = rng.randint(10, 17), rng.choice((2, 2, 3))
            units = rng.randint(*sizes.units_per_building)
            homes = tuple(
                Household(f"{key}.{unit}-{floor}{door:02d}", unit, f"{floor}{door:02d}")
                for unit in range(1, units + 1)
                for floor in range(1, floors + 1)
                for door in range(1, per_floor + 1)
                if rng.random() >= 0.06  # some flats stand empty (空置)
            )
            out.append(
                Building(
                    key,
                    compound.community,
                    compound.key,
                    area.key,
                    f"{n + 1}栋",
                    units,
                    floors,
                    homes,
                )
            )
    return tuple(out)


def _apportion(total: int, weights: Sequence[float], least: Sequence[int]) -> list[int]:
    """`total` split by weight on top of each share's least (largest remainders)."""
    spare = total - sum(least)
    whole = sum(weights)
    exact = [spare * w / whole for w in weights]
    counts = [floor + int(x) for floor, x in zip(least, exact, strict=True)]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - int(exact[i]), reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _campaign_day(rng: random.Random, as_of: date) -> date:
    """Reports and pledges fall in the year's double-report campaign (January to April,
    the article being of early May), never after `as_of`."""
    start = date(as_of.year, 1, 4)
    end = min(as_of, date(as_of.year, 4, 30))
    if end < start:
        return as_of
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _unit_orgs(
    rng: random.Random,
    sizes: Sizes,
    communities: Sequence[Community],
    compounds: Sequence[Compound],
    as_of: date,
) -> tuple[UnitOrg, ...]:
    count = sizes.scaled(sizes.unit_orgs, least=len(communities))
    catalogue = list(_UNITS)
    while len(catalogue) < count:  # bigger counties: more units of the usual kinds
        kind, unit, suffix, weight = _UNITS[len(catalogue) % len(_UNITS)]
        catalogue.append(
            (kind, f"{unit}第{len(catalogue) // len(_UNITS) + 1}分支机构", suffix, weight)
        )
    catalogue = catalogue[:count]
    # Each unit pairs with one community, every community with its share (分别结对);
    # the article has 东安县供销联社 in 山子岭社区.
    partners = [communities[i % len(communities)].key for i in range(count)]
    rng.shuffle(partners)
    if "shanziling" in partners:
        partners.insert(0, partners.pop(partners.index("shanziling")))
    by_community = defaultdict(list)
    for c in compounds:
        by_community[c.community].append(c)
    out = []
    for n, ((kind, unit, suffix, _weight), community) in enumerate(
        zip(catalogue, partners, strict=True)
    ):
        key = f"u{n + 1:03d}"
        community_name = next(c.name for c in communities if c.key == community)
        titles = list(_PLEDGES[kind] + _PLEDGES["any"])
        rng.shuffle(titles)
        pledges = []
        for p in range(rng.choice((1, 2, 2))):
            compound = rng.choice(by_community[community])
            title = titles[p].format(c=community_name, x=compound.name)
            status: PledgeStatus = rng.choices(("pledged", "in_progress", "done"), (25, 35, 40))[0]
            pledges.append(
                Pledge(
                    key=f"{key}.p{p + 1}",
                    community=community,
                    year=as_of.year,
                    title=title,
                    status=status,
                    note=None
                    if status == "pledged"
                    else f"已与{community_name}商定方案，分步实施。",
                    evidence=(
                        f"{title}已完成，经社区和居民代表验收。" if status == "done" else None
                    ),
                )
            )
        out.append(
            UnitOrg(
                key=key,
                name=unit + suffix,
                unit=unit,
                kind=kind,
                community=community,
                reported_on=_campaign_day(rng, as_of),
                pledges=tuple(pledges),
            )
        )
    return tuple(out)


def _members(
    rng: random.Random,
    sizes: Sizes,
    buildings: Sequence[Building],
    units: Sequence[UnitOrg],
) -> tuple[Member, ...]:
    homes_by_community: dict[str, list[tuple[Building, Household]]] = defaultdict(list)
    for b in buildings:
        homes_by_community[b.community].extend((b, h) for h in b.households)
    communities = sorted(homes_by_community)
    unit_weights = [dict((u[1], u[3]) for u in _UNITS).get(u.unit, 2) for u in units]
    people = _People(rng)

    def home_in(community: str) -> tuple[Building, Household]:
        return rng.choice(homes_by_community[community])

    def anywhere_but(community: str | None) -> str:
        # Where members live follows where households are.
        options = [c for c in communities if c != community]
        return rng.choices(options, [len(homes_by_community[c]) for c in options])[0]

    def tags(pool: Sequence[str]) -> tuple[str, ...]:
        return tuple(rng.sample(pool, rng.choice((0, 1, 1, 2))))

    out: list[Member] = []
    plan: list[tuple[MemberKind, int]] = [
        ("in_service", sizes.scaled(sizes.in_service_members)),
        ("resident", sizes.scaled(sizes.resident_members)),
        ("retired", sizes.scaled(sizes.retired_members)),
    ]
    for kind, count in plan:
        for _ in range(count):
            unit = rng.choices(units, unit_weights)[0] if kind == "in_service" else None
            # The contact community is the one the member's unit pairs with; the member
            # lives elsewhere, so the two reports go to two communities.
            community = anywhere_but(unit.community if unit else None)
            building, home = home_in(community)
            age = {
                "in_service": rng.randint(23, 59),
                "resident": rng.randint(25, 70),
                "retired": rng.randint(58, 88),
            }[kind]
            out.append(
                Member(
                    key=f"m{len(out) + 1:05d}",
                    name=people.name(),
                    phone=people.phone(),
                    kind=kind,
                    age=age,
                    community=community,
                    compound=building.compound,
                    building=building.key,
                    household=home.key,
                    work_unit=unit.unit if unit else None,
                    unit_org=unit.key if unit else None,
                    contact_community=unit.community if unit else None,
                    skills=tags(_SKILLS),
                    wishes=tags(_WISHES),
                )
            )
    return tuple(out)


def _reports(rng: random.Random, members: Sequence[Member], as_of: date) -> tuple[Report, ...]:
    out = []
    for m in members:
        if m.kind != "in_service" or m.contact_community is None:
            continue
        home = _campaign_day(rng, as_of)
        # The contact community usually sees the member within a few weeks of home.
        contact = min(home + timedelta(days=rng.randint(0, 21)), as_of)
        out.append(Report(m.key, m.community, "residence", home))
        out.append(Report(m.key, m.contact_community, "contact", contact))
    return tuple(out)


class _Party:
    """Branches, their posts, party groups, household duties and building heads."""

    def __init__(
        self,
        rng: random.Random,
        sizes: Sizes,
        compounds: Sequence[Compound],
        buildings: Sequence[Building],
        members: Sequence[Member],
    ) -> None:
        self._rng = rng
        self._members = members
        self._by_building: dict[str, list[Member]] = defaultdict(list)
        self._by_compound: dict[str, list[Member]] = defaultdict(list)
        self._by_community: dict[str, list[Member]] = defaultdict(list)
        for m in members:
            self._by_building[m.building].append(m)
            self._by_compound[m.compound].append(m)
            self._by_community[m.community].append(m)
        buildings_of: dict[str, list[Building]] = defaultdict(list)
        for b in buildings:
            buildings_of[b.compound].append(b)

        with_branch = self._pick_branch_compounds(sizes, compounds)
        grouped = self._pick_group_buildings(sizes, buildings, with_branch)
        self.branches = tuple(
            self._branch(c, buildings_of[c.key], grouped) for c in compounds if c.key in with_branch
        )
        self.duties = self._duties(sizes, compounds, buildings_of, with_branch)
        self.heads = self._heads(sizes, buildings)

    def _pick_branch_compounds(self, sizes: Sizes, compounds: Sequence[Compound]) -> set[str]:
        named = [c.key for c in compounds if c.name in _NAMED_COMPOUNDS.values()]
        others = [c.key for c in compounds if c.key not in named]
        self._rng.shuffle(others)
        wanted = max(len(named), round(sizes.branch_share * len(compounds)))
        return set(named + others[: wanted - len(named)])

    def _pick_group_buildings(
        self, sizes: Sizes, buildings: Sequence[Building], with_branch: set[str]
    ) -> set[str]:
        # A party group needs a branch: pick the share of *all* buildings among those
        # whose compound has one.
        eligible = [b.key for b in buildings if b.compound in with_branch]
        self._rng.shuffle(eligible)
        return set(eligible[: round(sizes.group_share * len(buildings))])

    def _nearest(self, *pools: Iterable[Member], taken: set[str]) -> Member:
        """The first free member of the nearest pool, retired and resident members first
        (they have the time); the county as a last resort."""
        for pool in (*pools, self._members):
            free = [m for m in pool if m.key not in taken]
            if free:
                settled = [m for m in free if m.kind != "in_service"]
                return self._rng.choice(settled or free)
        raise ValueError("not enough members for the party posts")

    def _branch(
        self, compound: Compound, buildings: Sequence[Building], grouped: set[str]
    ) -> Branch:
        local = self._by_compound[compound.key]
        community = self._by_community[compound.community]
        taken: set[str] = set()
        secretary = self._nearest(local, community, taken=taken)
        taken.add(secretary.key)
        committee = []
        for area in compound.areas:
            in_area = [m for b in buildings if b.area == area.key for m in self._by_building[b.key]]
            seat = self._nearest(in_area, local, community, taken=taken)
            taken.add(seat.key)
            committee.append((seat.key, area.key))
        groups = []
        for b in buildings:
            if b.key in grouped:
                leader = self._nearest(self._by_building[b.key], local, community, taken=taken)
                taken.add(leader.key)
                groups.append((b.key, leader.key))
        # Retired and resident members living in the compound belong to its branch; the
        # in-service ones keep their unit's branch unless they hold a post here.
        admitted = {m.key for m in local if m.kind != "in_service"} | taken
        return Branch(
            key=f"{compound.key}.branch",
            compound=compound.key,
            members=tuple(m.key for m in self._members if m.key in admitted),
            secretary=secretary.key,
            committee=tuple(committee),
            groups=tuple(groups),
        )

    def _duties(
        self,
        sizes: Sizes,
        compounds: Sequence[Compound],
        buildings_of: dict[str, list[Building]],
        with_branch: set[str],
    ) -> tuple[HouseholdDuty, ...]:
        # Organised compounds cover more of their households; the county total is the
        # target share, split by each compound's own rate.
        rates = {
            c.key: self._rng.uniform(0.55, 0.9)
            if c.key in with_branch
            else self._rng.uniform(0.1, 0.3)
            for c in compounds
        }
        homes = {
            c.key: [(b, h) for b in buildings_of[c.key] for h in b.households] for c in compounds
        }
        total = sum(len(h) for h in homes.values())
        wanted = _apportion(
            round(sizes.household_member_share * total),
            [rates[c.key] * max(1, len(homes[c.key])) for c in compounds],
            [0] * len(compounds),
        )
        out = []
        for compound, count in zip(compounds, wanted, strict=True):
            chosen = self._rng.sample(homes[compound.key], min(count, len(homes[compound.key])))
            chosen.sort(key=lambda bh: (bh[0].key, bh[1].unit, bh[1].room))
            load: dict[str, int] = defaultdict(int)
            for building, home in chosen:
                pool = (
                    self._by_building[building.key]
                    or self._by_compound[compound.key]
                    or self._by_community[compound.community]
                )
                if not pool:
                    continue
                # The least-loaded neighbour takes the household (党员联系户, a few each).
                member = min(pool, key=lambda m: (load[m.key], m.key))
                load[member.key] += 1
                out.append(HouseholdDuty(building.key, home.key, member.key))
        return tuple(out)

    def _heads(self, sizes: Sizes, buildings: Sequence[Building]) -> tuple[BuildingHead, ...]:
        """Young in-service members head the building they live in (在职青年党员任楼栋长)."""
        wanted = sizes.scaled(sizes.building_heads)
        out: list[BuildingHead] = []
        for limit in (35, 40, 59):  # the youngest first; older only if too few
            taken = {h.building for h in out} | {h.member for h in out}
            candidates = [
                (b.key, m.key)
                for b in buildings
                if b.key not in taken
                for m in self._by_building[b.key]
                if m.kind == "in_service" and m.age <= limit and m.key not in taken
            ]
            self._rng.shuffle(candidates)
            for building, member in candidates:
                if len(out) == wanted:
                    break
                if building in taken or member in taken:
                    continue
                taken |= {building, member}
                out.append(BuildingHead(building, member))
        return tuple(sorted(out, key=lambda h: h.building))

    def committee_secretaries(
        self, communities: Sequence[Community]
    ) -> tuple[CommitteeSecretary, ...]:
        posts = {m for b in self.branches for m in (b.secretary, *(c[0] for c in b.committee))} | {
            leader for b in self.branches for _, leader in b.groups
        }
        return tuple(
            CommitteeSecretary(c.key, self._nearest(self._by_community[c.key], taken=posts).key)
            for c in communities
        )


def _county_links(people: _People, communities: Sequence[Community]) -> tuple[CountyLink, ...]:
    """县委常委牵头联系社区: one standing-committee member per community (more communities
    than members: each links several)."""
    leaders = [
        Leader(f"demo-leader-sc{n + 1:02d}", people.name(), title)
        for n, title in enumerate(_COUNTY_LINK_TITLES)
    ]
    return tuple(CountyLink(c.key, leaders[n % len(leaders)]) for n, c in enumerate(communities))


def _key_compounds(
    rng: random.Random,
    people: _People,
    sizes: Sizes,
    compounds: Sequence[Compound],
    buildings: Sequence[Building],
) -> tuple[KeyCompound, ...]:
    """其他在职县级领导包重点小区: old work-unit compounds and the biggest estates first."""
    size: dict[str, int] = defaultdict(int)
    for b in buildings:
        size[b.compound] += len(b.households)
    wanted = min(len(compounds), sizes.scaled(sizes.key_compounds))
    named = [c for c in compounds if c.name == _NAMED_COMPOUNDS["shanziling"]]
    ranked = sorted(
        (c for c in compounds if c not in named),
        key=lambda c: (not c.old, -size[c.key] * rng.uniform(0.7, 1.3), c.key),
    )
    chosen = (named + ranked)[:wanted]
    return tuple(
        KeyCompound(
            c.key,
            Leader(
                f"demo-leader-kc{n + 1:02d}",
                people.name(),
                _KEY_COMPOUND_TITLES[n % len(_KEY_COMPOUND_TITLES)],
            ),
        )
        for n, c in enumerate(chosen)
    )


def _workers(
    rng: random.Random,
    people: _People,
    sizes: Sizes,
    communities: Sequence[Community],
    compounds: Sequence[Compound],
) -> tuple[Worker, ...]:
    """网格员: one or two per community, the community's compounds split between them."""
    out = []
    for community in communities:
        mine = [c.key for c in compounds if c.community == community.key]
        count = min(len(mine), rng.randint(*sizes.grid_workers_per_community))
        for n in range(count):
            share = tuple(mine[n::count])
            for chunk in range(0, len(share), 50):  # the API takes 50 grid units at most
                key = f"demo-worker-{community.key}-{n + 1}" + (f"-{chunk // 50}" if chunk else "")
                out.append(Worker(key, community.key, people.name(), share[chunk : chunk + 50]))
    return tuple(out)
