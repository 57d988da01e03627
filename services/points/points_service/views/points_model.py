"""Read model of the points service's own topic: statements, supermarket stock and
redemptions, rule books, evaluations and awards; keyed by community."""

from __future__ import annotations

import json

from grassroots_contracts.points import events as pub
from grassroots_contracts.topics import POINTS_EVENTS
from grassroots_eventkit.migrations import Migration
from grassroots_eventkit.tables import Rules, TableProjector, Write, rules

GROUP = "grassroots.points.readmodel"

MIGRATION = Migration(
    name="points.0002_read_model",
    sql="""
CREATE TABLE pt_entries (
    community_id    text NOT NULL,
    member_id       text NOT NULL,
    entry_id        text NOT NULL,
    kind            text NOT NULL,
    amount          integer NOT NULL,
    rule_id         text,
    rule_book       text,
    source_event_id text,
    source_type     text,
    occurred_at     timestamptz NOT NULL,
    expires_on      date,
    capped          boolean NOT NULL,
    PRIMARY KEY (community_id, member_id, entry_id)
);
CREATE INDEX pt_entries_member ON pt_entries (member_id, occurred_at);
CREATE INDEX pt_entries_month ON pt_entries (community_id, occurred_at);
CREATE TABLE pt_items (
    community_id text NOT NULL,
    item_id      text NOT NULL,
    name         text NOT NULL,
    price        integer NOT NULL,
    stock        integer NOT NULL,
    PRIMARY KEY (community_id, item_id)
);
CREATE TABLE pt_redemptions (
    community_id  text NOT NULL,
    redemption_id text NOT NULL,
    member_id     text NOT NULL,
    item_id       text NOT NULL,
    quantity      integer NOT NULL,
    points        integer NOT NULL,
    cancelled     boolean NOT NULL DEFAULT false,
    PRIMARY KEY (community_id, redemption_id)
);
CREATE TABLE pt_rulebooks (
    community_id   text NOT NULL,
    county         text NOT NULL,
    scope          text NOT NULL,
    version        integer NOT NULL,
    effective_from date NOT NULL,
    rules          jsonb NOT NULL,
    PRIMARY KEY (community_id, scope, version)
);
CREATE TABLE pt_ratings (
    community_id text NOT NULL,
    member_id    text NOT NULL,
    year         integer NOT NULL,
    role         text NOT NULL,
    score        integer NOT NULL,
    PRIMARY KEY (community_id, member_id, year, role)
);
CREATE TABLE pt_evaluations (
    community_id    text NOT NULL,
    member_id       text NOT NULL,
    year            integer NOT NULL,
    points          integer NOT NULL,
    residence_score integer,
    contact_score   integer,
    score           numeric(6, 2) NOT NULL,
    grade           text NOT NULL,
    reported_both   boolean NOT NULL,
    PRIMARY KEY (community_id, member_id, year)
);
CREATE TABLE pt_awards (
    community_id text NOT NULL,
    award_id     text NOT NULL,
    kind         text NOT NULL,
    year         integer NOT NULL,
    subject_id   text NOT NULL,
    PRIMARY KEY (community_id, award_id)
);
CREATE TABLE pt_sources (
    event_id     text PRIMARY KEY,
    event_type   text NOT NULL,
    community_id text NOT NULL,
    occurred_at  timestamptz NOT NULL,
    payload      jsonb NOT NULL
);
CREATE INDEX pt_sources_community ON pt_sources (community_id, occurred_at);
""",
)

RULES: Rules = rules(
    (
        pub.PointsEntered,
        Write(
            "INSERT INTO pt_entries (community_id, member_id, entry_id, kind, amount, rule_id,"
            " rule_book, source_event_id, source_type, occurred_at, expires_on, capped)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING",
            lambda e: (
                e.community_id,
                e.member_id,
                e.entry_id,
                e.kind,
                e.amount,
                e.rule_id,
                e.rule_book,
                e.source_event_id,
                e.source_type,
                e.occurred_at,
                e.expires_on,
                e.capped,
            ),
        ),
    ),
    (
        pub.SupermarketItemStocked,
        Write(
            "INSERT INTO pt_items (community_id, item_id, name, price, stock)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id, item_id)"
            " DO UPDATE SET name = excluded.name, price = excluded.price, stock = excluded.stock",
            lambda e: (e.community_id, e.item_id, e.name, e.price, e.stock),
        ),
    ),
    (
        pub.RedemptionRecorded,
        (
            Write(
                "INSERT INTO pt_redemptions (community_id, redemption_id, member_id, item_id,"
                " quantity, points) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                lambda e: (
                    e.community_id,
                    e.redemption_id,
                    e.member_id,
                    e.item_id,
                    e.quantity,
                    e.points,
                ),
            ),
            Write(
                "UPDATE pt_items SET stock = $3 WHERE community_id = $1 AND item_id = $2",
                lambda e: (e.community_id, e.item_id, e.stock),
            ),
        ),
    ),
    (
        pub.RedemptionCancelled,
        (
            Write(
                "UPDATE pt_redemptions SET cancelled = true"
                " WHERE community_id = $1 AND redemption_id = $2",
                lambda e: (e.community_id, e.redemption_id),
            ),
            Write(
                "UPDATE pt_items SET stock = $3 WHERE community_id = $1 AND item_id = $2",
                lambda e: (e.community_id, e.item_id, e.stock),
            ),
        ),
    ),
    (
        pub.RuleBookPublished,
        Write(
            "INSERT INTO pt_rulebooks (community_id, county, scope, version, effective_from,"
            " rules) VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING",
            lambda e: (
                e.community_id,
                e.county,
                e.scope,
                e.book_version,
                e.effective_from,
                json.dumps([r.model_dump() for r in e.rules], ensure_ascii=False),
            ),
        ),
    ),
    (
        pub.CommunityRatingGiven,
        Write(
            "INSERT INTO pt_ratings (community_id, member_id, year, role, score)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (community_id, member_id, year, role)"
            " DO UPDATE SET score = excluded.score",
            lambda e: (e.community_id, e.member_id, e.year, e.role, e.score),
        ),
    ),
    (
        pub.MemberGraded,
        Write(
            "INSERT INTO pt_evaluations (community_id, member_id, year, points,"
            " residence_score, contact_score, score, grade, reported_both)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            " ON CONFLICT (community_id, member_id, year) DO UPDATE SET points = excluded.points,"
            " residence_score = excluded.residence_score, contact_score = excluded.contact_score,"
            " score = excluded.score, grade = excluded.grade,"
            " reported_both = excluded.reported_both",
            lambda e: (
                e.community_id,
                e.member_id,
                e.year,
                e.points,
                e.residence_score,
                e.contact_score,
                e.score,
                e.grade,
                e.reported_both,
            ),
        ),
    ),
    (
        pub.AwardRecorded,
        Write(
            "INSERT INTO pt_awards (community_id, award_id, kind, year, subject_id)"
            " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            lambda e: (e.community_id, e.award_id, e.kind, e.year, e.subject_id),
        ),
    ),
)


def projector() -> TableProjector:
    return TableProjector(GROUP, (POINTS_EVENTS.name,), RULES)
