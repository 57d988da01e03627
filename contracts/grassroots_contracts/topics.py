"""Topic names and their settings; the only place a topic string is written."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

# Enough partitions for a province: one community's events share a partition, and
# a consumer group scales out to at most this many instances.
DEFAULT_PARTITIONS = 24
# -1: keep forever. Event topics are the replay source for projections and agencies.
INFINITE_RETENTION_MS = -1


class TopicSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    partitions: int = DEFAULT_PARTITIONS
    retention_ms: int = INFINITE_RETENTION_MS
    public: bool
    description: str


def events_topic(service: str) -> str:
    return f"grassroots.{service}.events"


def dead_letter_topic(consumer_group: str) -> str:
    return f"grassroots.dlq.{consumer_group}"


ORGANISATION_EVENTS = TopicSpec(
    name=events_topic("organisation"),
    public=True,
    description=(
        "The community grid and the party organisation (public: ids and grid positions only)."
    ),
)

REQUESTS_EVENTS = TopicSpec(
    name=events_topic("requests"),
    public=True,
    description=(
        "Residents' requests (点单), their routing, handling, whistles (吹哨) and ratings"
        " (public: ids, grid positions, categories, times and outcomes; never names, phones"
        " or text written by residents)."
    ),
)

VOLUNTEERING_EVENTS = TopicSpec(
    name=events_topic("volunteering"),
    public=True,
    description=(
        "Volunteer teams (志愿服务队), activities with sign-up and check-in, the weekend duty"
        " rota (党员周末轮班) and certified hours (public: ids, kinds, times and hours)."
    ),
)

POINTS_EVENTS = TopicSpec(
    name=events_topic("points"),
    public=True,
    description=(
        "Red points (红色积分): ledger entries with the source event and rule behind each,"
        " rule books, the love supermarket (爱心超市), evaluations (双考评) and awards."
    ),
)

ALL_TOPICS: tuple[TopicSpec, ...] = (
    ORGANISATION_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
    POINTS_EVENTS,
)


def dead_letter_spec(consumer_group: str) -> TopicSpec:
    return TopicSpec(
        name=dead_letter_topic(consumer_group),
        partitions=1,
        public=False,
        description=f"Messages consumer group {consumer_group} could not apply, with the error.",
    )
