"""Read model of requests per community, the raw answers behind the three rates, and the
durable timer's table of pending deadlines. Built from the service's own public topic.
"""

from __future__ import annotations

from grassroots_contracts.requests import lifecycle as pub
from grassroots_contracts.topics import REQUESTS_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules
from grassroots_eventkit.timers import TimerTable

GROUP = "grassroots.requests.readmodel"
# Pending deadlines, for the durable timer (grassroots_eventkit.timers).
TIMERS = TimerTable(table="rq_timers", id_column="request_id", kind_column="deadline")

MIGRATION = Migration(
    name="requests.0002_read_model",
    sql="""
CREATE TABLE rq_requests (
    community_id      text NOT NULL,
    request_id        text NOT NULL,
    category          text NOT NULL,
    channel           text NOT NULL,
    compound_id       text,
    building_id       text,
    status            text NOT NULL,
    level             text NOT NULL DEFAULT 'community',
    department        text,
    responsible_ids   text[] NOT NULL DEFAULT '{}',
    holder            text,
    submitted_at      timestamptz NOT NULL,
    respond_by        timestamptz NOT NULL,
    resolve_by        timestamptz NOT NULL,
    responded_at      timestamptz,
    resolved_at       timestamptz,
    resolved_within   boolean,
    closed_at         timestamptz,
    outcome           text,
    response_missed   boolean NOT NULL DEFAULT false,
    resolution_missed boolean NOT NULL DEFAULT false,
    escalations       integer NOT NULL DEFAULT 0,
    reopenings        integer NOT NULL DEFAULT 0,
    supporters        integer NOT NULL DEFAULT 1,
    updated_at        timestamptz NOT NULL,
    PRIMARY KEY (community_id, request_id)
);
CREATE UNIQUE INDEX rq_requests_id ON rq_requests (request_id);
CREATE INDEX rq_requests_status ON rq_requests (community_id, status, submitted_at);
CREATE INDEX rq_requests_holder ON rq_requests (holder) WHERE holder IS NOT NULL;
CREATE INDEX rq_requests_responsible ON rq_requests USING gin (responsible_ids);
CREATE TABLE rq_ratings (
    community_id text NOT NULL,
    request_id   text NOT NULL,
    rated_at     timestamptz NOT NULL,
    rating       text NOT NULL,
    resolved_by  text NOT NULL,
    PRIMARY KEY (community_id, request_id, rated_at)
);
CREATE TABLE rq_whistles (
    community_id text NOT NULL,
    request_id   text NOT NULL,
    escalated_at timestamptz NOT NULL,
    from_level   text NOT NULL,
    to_level     text NOT NULL,
    department   text,
    whistle      text NOT NULL,
    automatic    boolean NOT NULL,
    PRIMARY KEY (community_id, request_id, escalated_at, to_level)
);
CREATE TABLE rq_timers (
    request_id   text NOT NULL,
    deadline     text NOT NULL,
    community_id text NOT NULL,
    due_at       timestamptz NOT NULL,
    PRIMARY KEY (request_id, deadline)
);
CREATE INDEX rq_timers_due ON rq_timers (due_at);
""",
)


# Where a re-route looks for the requests a change of the grid touches.
HOUSEHOLDS = Migration(
    name="requests.0003_request_household",
    sql="""
ALTER TABLE rq_requests ADD COLUMN household_id text;
CREATE INDEX rq_requests_open_building ON rq_requests (building_id) WHERE status = 'open';
""",
)


# A resident's requests, for their erasure: resident_id is an opaque account id, kept in
# clear in RequestSubmitted (the personal fields beside it are sealed).
RESIDENT_REQUESTS = Migration(
    name="requests.0004_resident_requests",
    sql="""
CREATE INDEX es_events_resident ON es_events ((data->>'resident_id'))
WHERE event_type = 'RequestSubmitted.v1';
""",
)


def _request(assignments: str) -> str:
    return f"UPDATE rq_requests SET {assignments} WHERE community_id = $1 AND request_id = $2"


def _timer(deadline: str) -> str:
    return (
        "INSERT INTO rq_timers (request_id, deadline, community_id, due_at)"
        f" VALUES ($2, '{deadline}', $1, $3)"
        " ON CONFLICT (request_id, deadline) DO UPDATE SET due_at = excluded.due_at"
    )


_CLEAR_TIMER = (
    "DELETE FROM rq_timers WHERE request_id = $2 AND deadline = $3 AND $1::text IS NOT NULL"
)
_CLEAR_TIMERS = "DELETE FROM rq_timers WHERE request_id = $2 AND $1::text IS NOT NULL"


def _final(status: str, stamp: str) -> tuple[Write, ...]:
    """A final state: record it and forget every pending deadline."""
    return (
        Write(
            _request(f"status = '{status}', closed_at = $3, updated_at = $3"),
            lambda e: (e.community_id, e.request_id, getattr(e, stamp)),
        ),
        Write(_CLEAR_TIMERS, lambda e: (e.community_id, e.request_id)),
    )


RULES: Rules = rules(
    (
        pub.RequestSubmitted,
        (
            Write(
                "INSERT INTO rq_requests (community_id, request_id, category, channel,"
                " compound_id, building_id, status, submitted_at, respond_by, resolve_by,"
                " updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $9, $7)"
                " ON CONFLICT DO NOTHING",
                lambda e: (
                    e.community_id,
                    e.request_id,
                    e.category,
                    e.channel,
                    e.compound_id,
                    e.building_id,
                    e.submitted_at,
                    e.respond_by,
                    e.resolve_by,
                ),
            ),
            Write(
                _request("household_id = $3"),
                lambda e: (e.community_id, e.request_id, e.household_id),
            ),
            Write(_timer("response"), lambda e: (e.community_id, e.request_id, e.respond_by)),
            Write(_timer("resolution"), lambda e: (e.community_id, e.request_id, e.resolve_by)),
        ),
    ),
    (
        pub.RequestRouted,
        Write(
            _request("level = $3, responsible_ids = $4, updated_at = $5"),
            lambda e: (e.community_id, e.request_id, e.level, e.responsible_ids, e.routed_at),
        ),
    ),
    (
        pub.RequestClaimed,
        (
            Write(
                _request(
                    "status = 'claimed', holder = $3,"
                    " responded_at = COALESCE(responded_at, $4), updated_at = $4"
                ),
                lambda e: (e.community_id, e.request_id, e.member_id, e.claimed_at),
            ),
            Write(_CLEAR_TIMER, lambda e: (e.community_id, e.request_id, "response")),
        ),
    ),
    (
        pub.RequestProgressNoted,
        Write(_request("updated_at = $3"), lambda e: (e.community_id, e.request_id, e.noted_at)),
    ),
    (
        pub.RequestEscalated,
        (
            Write(
                _request(
                    "status = 'open', holder = NULL, level = $3, department = $4,"
                    " escalations = escalations + 1, updated_at = $5"
                ),
                lambda e: (
                    e.community_id,
                    e.request_id,
                    e.to_level,
                    e.department,
                    e.escalated_at,
                ),
            ),
            Write(
                "INSERT INTO rq_whistles (community_id, request_id, escalated_at, from_level,"
                " to_level, department, whistle, automatic)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
                lambda e: (
                    e.community_id,
                    e.request_id,
                    e.escalated_at,
                    e.from_level,
                    e.to_level,
                    e.department,
                    e.whistle,
                    e.automatic,
                ),
            ),
        ),
    ),
    (
        pub.DepartmentReported,
        (
            Write(
                _request(
                    "status = 'claimed', holder = 'department:' || $3,"
                    " responded_at = COALESCE(responded_at, $4), updated_at = $4"
                ),
                lambda e: (e.community_id, e.request_id, e.department, e.reported_at),
            ),
            Write(_CLEAR_TIMER, lambda e: (e.community_id, e.request_id, "response")),
        ),
    ),
    (
        pub.RequestResolved,
        (
            Write(
                _request(
                    "status = 'resolved', resolved_at = $3, resolved_within = $4,"
                    " responded_at = COALESCE(responded_at, $3), updated_at = $3"
                ),
                lambda e: (e.community_id, e.request_id, e.resolved_at, e.within_deadline),
            ),
            Write(
                "DELETE FROM rq_timers WHERE request_id = $2 AND deadline <> 'confirmation'"
                " AND $1::text IS NOT NULL",
                lambda e: (e.community_id, e.request_id),
            ),
            Write(_timer("confirmation"), lambda e: (e.community_id, e.request_id, e.confirm_by)),
        ),
    ),
    (
        pub.RequestRated,
        Write(
            "INSERT INTO rq_ratings (community_id, request_id, rated_at, rating, resolved_by)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.request_id, e.rated_at, e.rating, e.resolved_by),
        ),
    ),
    (
        pub.RequestReopened,
        (
            Write(
                _request(
                    "status = CASE WHEN holder IS NULL THEN 'open' ELSE 'claimed' END,"
                    " resolve_by = $3, resolved_at = NULL, resolved_within = NULL,"
                    " resolution_missed = false, reopenings = reopenings + 1, updated_at = $4"
                ),
                lambda e: (e.community_id, e.request_id, e.resolve_by, e.reopened_at),
            ),
            Write(_CLEAR_TIMER, lambda e: (e.community_id, e.request_id, "confirmation")),
            Write(_timer("resolution"), lambda e: (e.community_id, e.request_id, e.resolve_by)),
        ),
    ),
    (
        pub.RequestClosed,
        (
            Write(
                _request("status = 'closed', outcome = $3, closed_at = $4, updated_at = $4"),
                lambda e: (e.community_id, e.request_id, e.outcome, e.closed_at),
            ),
            Write(_CLEAR_TIMERS, lambda e: (e.community_id, e.request_id)),
        ),
    ),
    (pub.RequestCancelled, _final("cancelled", "cancelled_at")),
    (pub.RequestRejected, _final("rejected", "rejected_at")),
    (pub.RequestMerged, _final("merged", "merged_at")),
    (
        pub.SupportersJoined,
        Write(
            _request("supporters = $3"),
            lambda e: (e.community_id, e.request_id, e.supporters),
        ),
    ),
    (
        pub.DeadlineMissed,
        (
            Write(
                _request(
                    "response_missed = response_missed OR $3 = 'response',"
                    " resolution_missed = resolution_missed OR $3 = 'resolution'"
                ),
                lambda e: (e.community_id, e.request_id, e.deadline),
            ),
            Write(_CLEAR_TIMER, lambda e: (e.community_id, e.request_id, e.deadline)),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (REQUESTS_EVENTS.name,), RULES)
