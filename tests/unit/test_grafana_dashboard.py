"""The Grafana dashboard in deploy/grafana asks only for metrics the services export, and
shows every one of them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from grassroots_eventkit import metrics
from prometheus_client.metrics import MetricWrapperBase

pytestmark = pytest.mark.unit

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "grassroots-services.json"
_NAME = re.compile(r"\bgrassroots_[a-z_]+\b")
_SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "gauge": ("",),
}


def _exported() -> dict[str, set[str]]:
    """Each metric family eventkit defines, with the sample names a query can use."""
    found: dict[str, set[str]] = {}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            for family in value.describe():
                found[family.name] = {family.name + s for s in _SAMPLE_SUFFIXES[family.type]}
    return found


def _panels() -> list[dict]:  # type: ignore[type-arg]
    return [p for p in json.loads(DASHBOARD.read_text())["panels"] if p["type"] != "row"]


def _queried() -> set[str]:
    return {name for p in _panels() for t in p["targets"] for name in _NAME.findall(t["expr"])}


def test_every_query_names_an_exported_metric():
    samples = set().union(*_exported().values())
    assert _queried() - samples == set()


def test_every_exported_metric_has_a_panel():
    queried = _queried()
    missing = [family for family, samples in _exported().items() if not samples & queried]
    assert missing == []


def test_panels_have_unique_ids_and_lie_on_the_24_column_grid():
    dashboard = json.loads(DASHBOARD.read_text())
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0, panel["title"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
    for panel in _panels():
        assert panel["targets"], panel["title"]
        assert all('job=~"$service"' in t["expr"] for t in panel["targets"]), panel["title"]
    names = {v["name"] for v in dashboard["templating"]["list"]}
    assert names == {"datasource", "service"}
