"""TableProjector's schedule: statements that name their rows are grouped across events,
every row still sees its statements in event order, and a statement that may touch any
row is a barrier nothing crosses."""

from __future__ import annotations

from typing import Any

import pytest
from grassroots_eventkit.tables import Write, schedule

pytestmark = pytest.mark.unit

CLAIM = Write("UPDATE r SET s = 'claimed' WHERE c = $1 AND id = $2", lambda e: e, rows=2)
RESOLVE = Write("UPDATE r SET s = 'resolved' WHERE c = $1 AND id = $2", lambda e: e, rows=2)
SUBMIT = Write("INSERT INTO r VALUES ($1, $2, 'open')", lambda e: e, rows=2)
DISSOLVE = Write("UPDATE r SET s = 'open' WHERE c = $1", lambda e: e)  # any row of c


def steps(*pairs: tuple[Write, tuple[Any, ...]]) -> list[tuple[Write, tuple[Any, ...]]]:
    return list(pairs)


def per_row(plan: list[tuple[str, list[Any]]]) -> dict[tuple[Any, ...], list[str]]:
    """The statements each row sees, in the order the plan runs them."""
    seen: dict[tuple[Any, ...], list[str]] = {}
    for sql, args in plan:
        for a in args:
            seen.setdefault(tuple(a[:2]), []).append(sql)
    return seen


def test_interleaved_lifecycles_of_many_rows_run_one_statement_per_step():
    interleaved = [
        (write, ("c1", f"r{n}")) for write in (SUBMIT, CLAIM, RESOLVE) for n in range(50)
    ]
    plan = schedule(interleaved)

    assert [sql for sql, _ in plan] == [SUBMIT.sql, CLAIM.sql, RESOLVE.sql]
    assert [len(args) for _, args in plan] == [50, 50, 50]


def test_every_row_sees_its_statements_in_event_order():
    plan = schedule(
        steps(
            (SUBMIT, ("c1", "a")),
            (SUBMIT, ("c1", "b")),
            (CLAIM, ("c1", "a")),
            (RESOLVE, ("c1", "a")),
            (CLAIM, ("c1", "b")),
            (CLAIM, ("c1", "a")),  # reopened and claimed again
        )
    )

    assert per_row(plan) == {
        ("c1", "a"): [SUBMIT.sql, CLAIM.sql, RESOLVE.sql, CLAIM.sql],
        ("c1", "b"): [SUBMIT.sql, CLAIM.sql],
    }
    assert len(plan) == 4  # submit both, claim both, resolve a, claim a again


def test_a_statement_that_may_touch_any_row_is_crossed_by_nothing():
    plan = schedule(
        steps(
            (SUBMIT, ("c1", "a")),
            (CLAIM, ("c1", "a")),
            (DISSOLVE, ("c1",)),
            (SUBMIT, ("c1", "b")),  # could have gone with the first submit, but not past it
            (CLAIM, ("c1", "b")),
        )
    )

    assert [sql for sql, _ in plan] == [SUBMIT.sql, CLAIM.sql, DISSOLVE.sql, SUBMIT.sql, CLAIM.sql]


def test_a_run_of_one_unkeyed_statement_stays_one_group():
    plan = schedule(steps((DISSOLVE, ("c1",)), (DISSOLVE, ("c2",)), (SUBMIT, ("c1", "a"))))

    assert plan == [(DISSOLVE.sql, [("c1",), ("c2",)]), (SUBMIT.sql, [("c1", "a")])]
