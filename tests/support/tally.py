"""A deliberately non-idempotent projector: a double apply shows up as a duplicate row."""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg
from grassroots_eventkit.codec import ReceivedEvent
from grassroots_eventkit.migrations import Migration

TALLY_MIGRATION = Migration(
    name="test.tally",
    sql="""
CREATE TABLE tally (
    seq        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id   uuid NOT NULL,
    subject    text NOT NULL,
    version    integer NOT NULL,
    partition  integer NOT NULL,
    "offset"   bigint NOT NULL
);
""",
)


class TallyProjector:
    def __init__(self, group: str, topic: str, *, fail_on_note: str | None = None) -> None:
        self.group = group
        self.topics = (topic,)
        self._fail_on_note = fail_on_note

    async def apply(self, conn: asyncpg.Connection, events: Sequence[ReceivedEvent]) -> None:
        for event in events:
            if self._fail_on_note and event.payload.get("note") == self._fail_on_note:
                raise ValueError(f"cannot apply event with note {self._fail_on_note!r}")
        await conn.executemany(
            'INSERT INTO tally (event_id, subject, version, partition, "offset")'
            " VALUES ($1, $2, $3, $4, $5)",
            [
                (e.event_id, e.meta.subject, e.meta.stream_version, e.partition, e.offset)
                for e in events
            ],
        )
