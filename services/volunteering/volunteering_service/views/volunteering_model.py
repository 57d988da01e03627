"""Read model of volunteering per community, from the service's own public topic: teams,
the activity calendar, sign-ups, certified hours, the weekend rota, and the timer's rows
(an activity's end, a rota's gap cut-off)."""

from __future__ import annotations

from grassroots_contracts.topics import VOLUNTEERING_EVENTS
from grassroots_contracts.volunteering import events as pub
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules
from grassroots_eventkit.timers import TimerTable

GROUP = "grassroots.volunteering.readmodel"
TIMERS = TimerTable(table="vo_timers", id_column="stream_id", kind_column="kind")

MIGRATION = Migration(
    name="volunteering.0002_read_model",
    sql="""
CREATE TABLE vo_teams (
    community_id text NOT NULL,
    team_id      text NOT NULL,
    kind         text NOT NULL,
    name         text NOT NULL,
    partner      text,
    members      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, team_id)
);
CREATE TABLE vo_team_members (
    community_id text NOT NULL,
    team_id      text NOT NULL,
    member_id    text NOT NULL,
    PRIMARY KEY (community_id, team_id, member_id)
);
CREATE TABLE vo_activities (
    community_id     text NOT NULL,
    activity_id      text NOT NULL,
    compound_id      text,
    team_id          text,
    kind             text NOT NULL,
    title            text NOT NULL,
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL,
    capacity         integer NOT NULL,
    confirmed        integer NOT NULL DEFAULT 0,
    waitlisted       integer NOT NULL DEFAULT 0,
    checked_in       integer NOT NULL DEFAULT 0,
    no_shows         integer NOT NULL DEFAULT 0,
    residents_served integer,
    completed_at     timestamptz,
    PRIMARY KEY (community_id, activity_id)
);
CREATE INDEX vo_activities_calendar ON vo_activities (community_id, starts_at);
CREATE TABLE vo_hours (
    community_id text NOT NULL,
    source_id    text NOT NULL,
    member_id    text NOT NULL,
    source       text NOT NULL,
    certified_by text NOT NULL,
    certifier    text NOT NULL,
    served_on    date NOT NULL,
    hours        numeric(8, 2) NOT NULL,
    PRIMARY KEY (community_id, source_id, member_id)
);
CREATE INDEX vo_hours_member ON vo_hours (member_id, served_on);
CREATE TABLE vo_slots (
    community_id text NOT NULL,
    slot_id      text NOT NULL,
    rota_id      text NOT NULL,
    weekend      date NOT NULL,
    area         text NOT NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    holder       text,
    recorded     text,
    gap_raised_at timestamptz,
    PRIMARY KEY (community_id, slot_id)
);
CREATE INDEX vo_slots_weekend ON vo_slots (community_id, weekend, starts_at);
CREATE TABLE vo_timers (
    stream_id    text NOT NULL,
    kind         text NOT NULL,
    community_id text NOT NULL,
    due_at       timestamptz NOT NULL,
    PRIMARY KEY (stream_id, kind)
);
CREATE INDEX vo_timers_due ON vo_timers (due_at);
""",
)


def _activity(assignment: str) -> str:
    return f"UPDATE vo_activities SET {assignment} WHERE community_id = $1 AND activity_id = $2"


def _slot(assignment: str) -> str:
    return f"UPDATE vo_slots SET {assignment} WHERE community_id = $1 AND slot_id = $2"


def _timer(kind: str) -> str:
    return (
        "INSERT INTO vo_timers (stream_id, kind, community_id, due_at)"
        f" VALUES ($2, '{kind}', $1, $3)"
        " ON CONFLICT (stream_id, kind) DO UPDATE SET due_at = excluded.due_at"
    )


_HOURS = Write(
    "INSERT INTO vo_hours (community_id, source_id, member_id, source, certified_by,"
    " certifier, served_on, hours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    " ON CONFLICT DO NOTHING",
    lambda e: (
        e.community_id,
        e.source_id,
        e.member_id,
        e.source,
        e.certified_by,
        e.certifier,
        e.served_on,
        e.hours,
    ),
)

RULES: Rules = rules(
    (
        pub.TeamRegistered,
        Write(
            "INSERT INTO vo_teams (community_id, team_id, kind, name, partner)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.team_id, e.kind, e.name, e.partner),
        ),
    ),
    (
        pub.TeamMemberJoined,
        (
            Write(
                "INSERT INTO vo_team_members (community_id, team_id, member_id)"
                " VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                lambda e: (e.community_id, e.team_id, e.member_id),
            ),
            Write(
                "UPDATE vo_teams t SET members = (SELECT count(*) FROM vo_team_members m"
                " WHERE m.community_id = $1 AND m.team_id = $2)"
                " WHERE t.community_id = $1 AND t.team_id = $2",
                lambda e: (e.community_id, e.team_id),
            ),
        ),
    ),
    (
        pub.TeamMemberLeft,
        (
            Write(
                "DELETE FROM vo_team_members WHERE community_id = $1 AND team_id = $2"
                " AND member_id = $3",
                lambda e: (e.community_id, e.team_id, e.member_id),
            ),
            Write(
                "UPDATE vo_teams t SET members = (SELECT count(*) FROM vo_team_members m"
                " WHERE m.community_id = $1 AND m.team_id = $2)"
                " WHERE t.community_id = $1 AND t.team_id = $2",
                lambda e: (e.community_id, e.team_id),
            ),
        ),
    ),
    (
        pub.ActivityScheduled,
        (
            Write(
                "INSERT INTO vo_activities (community_id, activity_id, compound_id, team_id,"
                " kind, title, starts_at, ends_at, capacity)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
                lambda e: (
                    e.community_id,
                    e.activity_id,
                    e.compound_id,
                    e.team_id,
                    e.kind,
                    e.title,
                    e.starts_at,
                    e.ends_at,
                    e.capacity,
                ),
            ),
            Write(
                _timer("attendance_closes"),
                lambda e: (e.community_id, e.activity_id, e.attendance_closes_at or e.ends_at),
            ),
        ),
    ),
    (
        pub.ActivitySignedUp,
        Write(
            _activity(
                "confirmed = confirmed + ($3 = 'confirmed')::int,"
                " waitlisted = waitlisted + ($3 = 'waitlisted')::int"
            ),
            lambda e: (e.community_id, e.activity_id, e.status),
        ),
    ),
    (
        pub.ActivitySignUpCancelled,
        Write(
            _activity(
                "confirmed = confirmed - ($3 = 'confirmed')::int,"
                " waitlisted = waitlisted - ($3 = 'waitlisted')::int"
            ),
            lambda e: (e.community_id, e.activity_id, e.was),
        ),
    ),
    (
        pub.WaitlistPromoted,
        Write(
            _activity("confirmed = confirmed + 1, waitlisted = waitlisted - 1"),
            lambda e: (e.community_id, e.activity_id),
        ),
    ),
    (
        pub.ActivityCheckedIn,
        Write(_activity("checked_in = checked_in + 1"), lambda e: (e.community_id, e.activity_id)),
    ),
    (
        pub.ActivityNoShow,
        Write(_activity("no_shows = no_shows + 1"), lambda e: (e.community_id, e.activity_id)),
    ),
    (
        pub.ActivityCompleted,
        (
            Write(
                _activity("residents_served = $3, completed_at = $4"),
                lambda e: (e.community_id, e.activity_id, e.residents_served, e.completed_at),
            ),
            Write(
                "DELETE FROM vo_timers WHERE stream_id = $2 AND $1::text IS NOT NULL",
                lambda e: (e.community_id, e.activity_id),
            ),
        ),
    ),
    (pub.HoursCertified, _HOURS),
    (
        pub.ShiftSlotsOpened,
        (
            Write(
                "INSERT INTO vo_slots (community_id, slot_id, rota_id, weekend, area,"
                " starts_at, ends_at)"
                " SELECT $1, s, $2, $3, a, st, en FROM unnest($4::text[], $5::text[],"
                " $6::timestamptz[], $7::timestamptz[]) AS x(s, a, st, en)"
                " ON CONFLICT DO NOTHING",
                lambda e: (
                    e.community_id,
                    e.rota_id,
                    e.weekend,
                    [s.slot_id for s in e.slots],
                    [s.area for s in e.slots],
                    [s.starts_at for s in e.slots],
                    [s.ends_at for s in e.slots],
                ),
            ),
            Write(_timer("gap_check"), lambda e: (e.community_id, e.rota_id, e.gap_check_at)),
        ),
    ),
    (
        pub.ShiftClaimed,
        Write(
            _slot("holder = $3"),
            lambda e: (e.community_id, e.slot_id, e.member_id),
        ),
    ),
    (
        pub.ShiftReleased,
        Write(_slot("holder = NULL"), lambda e: (e.community_id, e.slot_id)),
    ),
    (
        pub.ShiftsSwapped,
        (
            Write(_slot("holder = $3"), lambda e: (e.community_id, e.slot_id, e.member_id)),
            Write(
                _slot("holder = $3"),
                lambda e: (e.community_id, e.other_slot_id, e.other_member_id),
            ),
        ),
    ),
    (
        pub.ShiftServed,
        Write(_slot("recorded = 'served'"), lambda e: (e.community_id, e.slot_id)),
    ),
    (
        pub.ShiftMissed,
        Write(_slot("recorded = 'missed'"), lambda e: (e.community_id, e.slot_id)),
    ),
    (
        pub.RotaGapRaised,
        Write(_slot("gap_raised_at = $3"), lambda e: (e.community_id, e.slot_id, e.raised_at)),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (VOLUNTEERING_EVENTS.name,), RULES)
