"""The end-to-end benchmark's arithmetic: the profile summary of py-spy's folded stacks,
the goals marked met or not, and the report and plot written from a result."""

from __future__ import annotations

from pathlib import Path

import pytest
from grassroots_stack.bench import plot, profile, report

pytestmark = pytest.mark.unit

FOLDED = """\
main (app.py:1);handle (api.py:10);load (store.py:5) 60
main (app.py:1);handle (api.py:10);decide (domain.py:7) 30
main (app.py:1);select (selectors.py:451) 500
main (app.py:1);relay (relay.py:3);load (store.py:9) 10
"""


def test_profile_sums_own_and_inclusive_time_per_function_and_leaves_out_idle():
    found = profile.summarise("requests", 10.0, FOLDED)
    assert found.samples == 100  # the 500 idle samples in select() are not time spent
    assert dict(found.self_share) == {"load (store.py)": 0.7, "decide (domain.py)": 0.3}
    inclusive = dict(found.inclusive_share)
    assert inclusive["main (app.py)"] == 1.0
    assert inclusive["handle (api.py)"] == 0.9
    assert inclusive["relay (relay.py)"] == 0.1


def test_a_profile_with_no_busy_sample_is_an_error():
    with pytest.raises(RuntimeError, match="busy in no sample"):
        profile.summarise("points", 5.0, "main (app.py:1);select (selectors.py:451) 9\n")


def _result(p99: float, dashboard_p99: float, sustained: float) -> dict:
    step = {
        "rate": 100,
        "achieved_per_s": sustained,
        "sustained": True,
        "cmd_latency_ms": {"p50": 20.0, "p90": 40.0, "p99": p99, "max": 300.0},
        "cmd_to_dashboard_ms": {"p50": 150.0, "p99": dashboard_p99, "samples": 40},
        "refused": {},
        "failed": 0,
        "shed": 0,
        "cpu_s_per_1000_cmds": {"postgres": 3.0, "requests": 2.0},
    }
    return {
        "measured_at": "2026-11-29T17:00:00+00:00",
        "machine": {"cpus": 2, "arch": "x86_64", "python": "3.11.7", "note": "shared"},
        "goals": {
            "sustained_cmds_per_s": 1000,
            "cmd_latency_p99_ms": 100,
            "cmd_to_dashboard_p99_ms": 500,
        },
        "sustained_cmds_per_s": sustained,
        "cmd_latency_ms": {"p50": 20.0, "p99": p99},
        "cmd_to_dashboard_ms": {"p50": 150.0, "p99": dashboard_p99},
        "rss_mb": {"requests": 80.0},
        "raw_pg_tx_per_s": 1500.0,
        "kafka_producer_records_per_s": 90000.0,
        "steps": [step],
        "profile": {
            "service": "requests",
            "rate": 100,
            "seconds": 20.0,
            "samples": 1000,
            "self": [("load (store.py)", 0.5)],
            "inclusive": [("main (app.py)", 1.0)],
        },
    }


def test_goals_are_marked_met_or_not_met_on_their_own_side():
    rows = {figure: goal for figure, _, goal in report.headline(_result(99.0, 501.0, 1000.0))}
    assert rows["sustained commands/s"].endswith("(met)")
    assert rows["command latency p99 ms"].endswith("(met)")
    assert rows["command → dashboard p99 ms"].endswith("(not met)")
    rows = {figure: goal for figure, _, goal in report.headline(_result(101.0, 10.0, 999.0))}
    assert rows["sustained commands/s"].endswith("(not met)")
    assert rows["command latency p99 ms"].endswith("(not met)")


def test_the_report_names_the_profiled_service_and_every_step(tmp_path: Path):
    result = _result(80.0, 300.0, 98.5)
    text = report.markdown(result)
    assert "## Profile of the busiest service: requests at 100 commands/s" in text
    assert "| 100 | 98.5 | yes | 20.0 | 80.0 | 150.0 | 300.0 | 40 | 0/0/0 |" in text
    plot.write(result, tmp_path / "e2e.png")
    assert (tmp_path / "e2e.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
