"""`grassroots capacity report`: the county and province figures of docs/capacity.md,
derived from bench/results/capacity.json (the simulation's measurements) and the other
benchmarks' results, as markdown (bench/results/capacity.md).

Measured: events per community-day and per hour (the simulated year of one county), bytes
per record and per stored event (the stack), table bytes (the simulation), events/s. The
rest is arithmetic on them; the document marks which figures are estimates."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from grassroots_contracts.topics import ALL_TOPICS, ORGANISATION_EVENTS
from projections_service.views.registry import VIEWS

from grassroots_stack.capacity.places import places
from grassroots_stack.capacity.scale import COMMUNITIES_PER_COUNTY, PROVINCE_COMMUNITIES, Province
from grassroots_stack.capacity.timeline import partition_of

SCALES = {"county": COMMUNITIES_PER_COUNTY, "province": PROVINCE_COMMUNITIES}
REPLICATION = 3  # deploy/k8s/base/topics.yaml: replicas 3
BATCH_OVERHEAD = 70  # bytes a record costs on disk beyond key, value and headers (the stack)
SERVICE_OF_TOPIC = {t.name: t.name.split(".")[1] for t in ALL_TOPICS}
HA = 2  # instances of anything that must survive a pod's loss
HEADROOM = 0.5  # run instances at most half busy at the peak


def _phase(result: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in result["phases"] if p["phase"] == name)


def per_community_day(result: dict[str, Any]) -> dict[str, float]:
    """Events per community and day per topic, over the simulated year of one county."""
    h = _phase(result, "history")
    days = h["communities"] * h["days"]
    return {t: v["events"] / days for t, v in h["topics"].items()}


def onboarding_per_community(result: dict[str, Any]) -> dict[str, float]:
    o = _phase(result, "onboarding")
    return {t: v["events"] / o["communities"] for t, v in o["topics"].items()}


def peak_factor(result: dict[str, Any]) -> float:
    """The busiest hour of the simulated year over the mean hour."""
    return float(_phase(result, "history")["hours"]["peak_to_mean"])


def record_bytes(result: dict[str, Any], topic: str) -> float:
    """On-disk bytes per record: measured on the stack's topic when it holds data, else the
    simulated records' size plus Kafka's batch framing."""
    for t in result.get("stack", {}).get("topics", []):
        if t["topic"] == topic and t.get("bytes_per_record"):
            return float(t["bytes_per_record"])
    sim = _phase(result, "history")["topics"][topic]["mean_record_bytes"]
    return float(sim + BATCH_OVERHEAD)


def _gb(n: float) -> str:
    return f"{n / 1e9:,.1f} GB" if n >= 1e8 else f"{n / 1e6:,.1f} MB"


def topics_table(result: dict[str, Any]) -> list[str]:
    daily, peak = per_community_day(result), peak_factor(result)
    lines = [
        "| topic | events / community / day | county: events / day | county: peak / s "
        "| province: events / day | province: peak / s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t, per in sorted(daily.items()):
        c, p = per * SCALES["county"], per * SCALES["province"]
        lines.append(
            f"| {t} | {per:.1f} | {c:,.0f} | {c * peak / 86400:.2f} | {p:,.0f} "
            f"| {p * peak / 86400:,.1f} |"
        )
    total = sum(daily.values())
    c, p = total * SCALES["county"], total * SCALES["province"]
    lines.append(
        f"| **all** | **{total:.1f}** | **{c:,.0f}** | **{c * peak / 86400:.2f}** "
        f"| **{p:,.0f}** | **{p * peak / 86400:,.1f}** |"
    )
    return lines


def kafka_table(result: dict[str, Any]) -> list[str]:
    daily, joined = per_community_day(result), onboarding_per_community(result)
    lines = [
        "| topic | bytes / record | province: per day | per year | 5 years × 3 replicas "
        "| onboarding (once) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for t, per in sorted(daily.items()):
        b = record_bytes(result, t)
        day = per * SCALES["province"] * b
        once = joined.get(t, 0.0) * SCALES["province"] * b
        lines.append(
            f"| {t} | {b:,.0f} | {_gb(day)} | {_gb(day * 365)} | {_gb(day * 365 * 5 * REPLICATION)}"
            f" | {_gb(once)} |"
        )
    return lines


def _stack_db(result: dict[str, Any], service: str) -> dict[str, Any] | None:
    for d in result.get("stack", {}).get("databases", []):
        if d["service"] == service:
            return dict(d)
    return None


def _service_rates(result: dict[str, Any], service: str, topic: str) -> tuple[float, float, float]:
    """Bytes a service's database grows by, measured on the stack (the demo): per public
    event of its own topic (event store, commands' audit and idempotency rows, its own read
    models), per organisation event (read models built from the organisation: its copies
    of the grid), per public event of any topic (the dedupe rows of its consumers)."""
    d = _stack_db(result, service)
    records = {t["topic"]: t["records"] for t in result.get("stack", {}).get("topics", [])}
    if not d or not records.get(topic):
        return 0.0, 0.0, 0.0
    c = d["bytes_by_class"]
    own = c.get("event_store", 0) + c.get("commands", 0) + c.get("own_read_models", 0)
    org = c.get("organisation_read_models", 0) / records[ORGANISATION_EVENTS.name]
    return own / records[topic], org, c.get("dedupe", 0) / sum(records.values())


def _events(result: dict[str, Any], topics: list[str], *, first_year: bool) -> float:
    """Events a community adds to `topics` in a year (the first one with its onboarding)."""
    daily, joined = per_community_day(result), onboarding_per_community(result)
    return sum(
        daily.get(t, 0.0) * 365 + (joined.get(t, 0.0) if first_year else 0.0) for t in topics
    )


def _service_year(
    result: dict[str, Any], topic: str, rates: tuple[float, float, float], *, first: bool
) -> float:
    """Bytes one community adds to a writing service's database in a year."""
    own, org, dedupe = rates
    everything = [t.name for t in ALL_TOPICS]
    return (
        _events(result, [topic], first_year=first) * own
        + _events(result, [ORGANISATION_EVENTS.name], first_year=first) * org
        + _events(result, everything, first_year=first) * dedupe
    )


def databases_table(result: dict[str, Any]) -> list[str]:
    """The four writing services from the stack's per-event bytes (see `_service_rates`);
    projections from the simulation's table bytes."""
    lines = [
        "| service | bytes per own event | per organisation event | per public event (dedupe) "
        "| county: first year | province: first year | province: each further year |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for topic, service in SERVICE_OF_TOPIC.items():
        rates = _service_rates(result, service, topic)
        if not rates[0]:
            continue
        first = _service_year(result, topic, rates, first=True)
        later = _service_year(result, topic, rates, first=False)
        lines.append(
            f"| {service} | {rates[0]:,.0f} | {rates[1]:,.0f} | {rates[2]:,.0f} "
            f"| {_gb(first * SCALES['county'])} | {_gb(first * SCALES['province'])} "
            f"| {_gb(later * SCALES['province'])} |"
        )
    first_p, later_p = projections_bytes(result)
    lines.append(
        f"| projections | (per view below) | | | {_gb(first_p * SCALES['county'])} "
        f"| {_gb(first_p * SCALES['province'])} | {_gb(later_p * SCALES['province'])} |"
    )
    return lines


def _view_bytes(snapshot: dict[str, Any]) -> dict[str, int]:
    return {view: int(v["total_bytes"]) for view, v in snapshot.items()}


def projections_bytes(result: dict[str, Any]) -> tuple[float, float]:
    """Per community: (the first year, onboarding included; each further year)."""
    h = _phase(result, "history")
    joined = _view_bytes(result["sizes_after_onboarding"])
    lived = _view_bytes(result["sizes_after_history"])
    onboard = sum(joined.values()) / h["communities"]
    year = (sum(lived.values()) - sum(joined.values())) / h["communities"] * 365 / h["days"]
    return onboard + year, year


def view_sizes_table(result: dict[str, Any]) -> list[str]:
    h = _phase(result, "history")
    joined = _view_bytes(result["sizes_after_onboarding"])
    lived = _view_bytes(result["sizes_after_history"])
    lines = [
        "| view | measured: one county, onboarded | after its year | per community-year "
        "| province: first year |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for view in lived:
        year = (lived[view] - joined[view]) / h["communities"] * 365 / h["days"]
        first = joined[view] / h["communities"] + year
        lines.append(
            f"| {view} | {_gb(joined[view])} | {_gb(lived[view])} | {_gb(year)} "
            f"| {_gb(first * SCALES['province'])} |"
        )
    return lines


def apply_table(result: dict[str, Any]) -> list[str]:
    """Catch-up rates (batches of 2000, the simulation) and live ceilings (the sweep), and
    how long one instance takes to replay a province's year of the view's topics."""
    daily, joined = per_community_day(result), onboarding_per_community(result)
    rates: dict[str, tuple[int, float]] = {}
    for phase in ("onboarding", "history"):
        for v in _phase(result, phase)["views"]:
            n, s = rates.get(v["view"], (0, 0.0))
            rates[v["view"]] = (n + v["events"], s + v["seconds"])
    sweep = {s["view"]: s for s in result.get("batch_size_sweep", [])}
    lines = [
        "| view | catch-up events/s (batch 2000) | fit: ms / batch + µs / event "
        "| province peak events/s | replay of a province year, one instance |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    peak = peak_factor(result)
    for view in VIEWS:
        n, s = rates.get(view.name, (0, 0.0))
        rate = n / s if s else 0.0
        per_day = sum(daily.get(t, 0.0) for t in view.topics)
        once = sum(joined.get(t, 0.0) for t in view.topics)
        year = (per_day * 365 + once) * SCALES["province"]
        fit = sweep.get(view.name, {})
        lines.append(
            f"| {view.name} | {rate:,.0f} | {fit.get('fit_ms_per_batch', '–')} ms + "
            f"{fit.get('fit_us_per_event', '–')} µs | "
            f"{per_day * SCALES['province'] * peak / 86400:,.1f} | "
            f"{year / rate / 3600 if rate else 0:,.1f} h ({year / 1e6:,.0f} M events) |"
        )
    return lines


def partitions_table(seed: int) -> list[str]:
    """How evenly Kafka's default partitioner spreads the province's communities."""
    keys = [p.community_id.encode() for p in places(Province(), seed)]
    lines = [
        "| partitions | communities per partition: mean | max | max / mean |",
        "| ---: | ---: | ---: | ---: |",
    ]
    for n in (12, 24, 48):
        spread = Counter(partition_of(k, n) for k in keys)
        mean = len(keys) / n
        most = max(spread.values())
        lines.append(f"| {n} | {mean:,.0f} | {most:,} | {most / mean:.2f} |")
    return lines


def kafka_path_table(result: dict[str, Any]) -> list[str]:
    k = result.get("kafka_path")
    if not k:
        return ["(not measured in this run)"]
    lines = [
        f"{k['records']:,} records produced at {k['produce_events_per_s']:,.0f}/s (idempotent, "
        "acks=all), then consumed by the five views' consumers side by side; every view "
        f"done after {k['all_views_seconds']} s.",
        "",
        "| view | events | applied | events/s through Kafka |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {v['view']} | {v['events']:,} | {v['applied']:,} | {v['events_per_s'] or '–'} |"
        for v in k["views"]
    ]
    return lines


def latency_table(result: dict[str, Any]) -> list[str]:
    grown = result.get("grown")
    lines = [
        f"As simulated (database {_gb(result['database_bytes'])})"
        + (
            f" and with the county's read models copied {grown['copies']} times more "
            f"({grown['rows_added']:,} rows, database {_gb(grown['database_bytes'])})."
            if grown
            else "."
        ),
        "",
        "| page | tables | samples | p50 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for label, timings in (
        ("as simulated", result["dashboard_latency"]),
        (f"×{grown['copies'] + 1}", grown["dashboard_latency"]) if grown else ("", []),
    ):
        lines += [
            f"| {t['label']} | {label} | {t['samples']} | {t['p50_ms']} | {t['p99_ms']} |"
            for t in timings
        ]
    return lines


def double_report_lines(result: dict[str, Any]) -> list[str]:
    """`grassroots capacity double-report`: the overview's two statements that grew, on
    tables of a province's proportions."""
    d = result.get("double_report")
    if not d:
        return ["Not measured: `grassroots capacity double-report`."]
    plans = "; ".join(f"{k}: {', '.join(v)}" for k, v in d["plans"].items())
    return [
        f"{d['communities']:,} communities ({d['counties']} counties), {d['members']:,} members,"
        f" {d['reports']:,} reports over {d['years_of_reports']} years"
        f" ({_gb(d['bytes'])}); one county is {d['county_share']:.1%} of the rows."
        f" Load average {d['load_average_before'][0]} before, {d['load_average_after'][0]}"
        " after.",
        "",
        "| statement, one county | median ms |",
        "| --- | ---: |",
        f"| the double report (`reporting_in`) | {d['reporting_in_ms']} |",
        f"| members per community (`members_registered`) | {d['members_registered_ms']} |",
        "",
        f"Plans: {plans}. Sequential scans: {', '.join(d['sequential_scans']) or 'none'}.",
    ]


def instances(result: dict[str, Any], root: Path) -> list[str]:
    """Instances per service at the province's peak, from per-instance figures: the HTTP
    bench (commands/s through one requests service), and the sweep's ceilings."""
    daily, peak = per_community_day(result), peak_factor(result)
    http = json.loads((root / "bench/results/requests.json").read_text())
    per_api = float(http["commands_per_s_overall"])
    lines = [
        "| service | province peak events/s (≥ commands/s) | one instance takes | instances "
        "(HA 2, ≤ 50 % busy) |",
        "| --- | ---: | ---: | ---: |",
    ]
    for topic, service in SERVICE_OF_TOPIC.items():
        load = daily.get(topic, 0.0) * SCALES["province"] * peak / 86400
        n = max(HA, math.ceil(load / (per_api * HEADROOM)))
        lines.append(f"| {service} (api) | {load:,.1f} | {per_api:,.0f} commands/s | {n} |")
    ceilings = [
        s["ceiling_events_per_s"]
        for s in result.get("batch_size_sweep", [])
        if s["ceiling_events_per_s"]
    ]
    total = sum(daily.values()) * SCALES["province"] * peak / 86400
    floor = min(ceilings) if ceilings else 0
    n = max(HA, math.ceil(total / (floor * HEADROOM))) if floor else HA
    lines.append(
        f"| projections (worker) | {total:,.1f} | ≥ {floor:,.0f} events/s per view | {n} |"
    )
    return lines


def markdown(result: dict[str, Any], root: Path) -> str:
    m = result["machine"]
    sections = [
        "# Capacity figures",
        "",
        f"Derived by `grassroots capacity report` from bench/results/capacity.json, measured "
        f"{m['measured_at']} on {m['cpus']} CPUs ({m['machine']}, CPython {m['python']}), "
        f"load average {m['load_average_before'][0]} before and {m['load_average_after'][0]} "
        "after (the stack and the simulation alone make about 2; more means other work shared "
        "the cores). County: "
        f"{SCALES['county']} communities; province: {SCALES['province']:,}.",
        "",
        "## Events per topic",
        *topics_table(result),
        "",
        f"Peak: the busiest hour of the simulated year is {peak_factor(result)}× the mean hour.",
        "",
        "## Partitions",
        *partitions_table(int(result["plan"]["seed"])),
        "",
        "## Kafka storage (retention: forever)",
        *kafka_table(result),
        "",
        "## Databases",
        *databases_table(result),
        "",
        "### Projections, per view",
        *view_sizes_table(result),
        "",
        "## Applying events",
        *apply_table(result),
        "",
        "### Through Kafka",
        *kafka_path_table(result),
        "",
        "## Instances",
        *instances(result, root),
        "",
        "## Dashboard",
        *latency_table(result),
        "",
        "### The county overview's double report at a province's proportions",
        *double_report_lines(result),
        "",
    ]
    return "\n".join(sections)


def results_file(root: Path, *, quick: bool, suffix: str = ".json") -> Path:
    """bench/results/capacity.json, or capacity-quick.json for smoke runs (not committed)."""
    name = "capacity-quick" if quick else "capacity"
    return root / "bench" / "results" / f"{name}{suffix}"


def main(root: Path, *, quick: bool = False) -> int:
    result = json.loads(results_file(root, quick=quick).read_text())
    text = markdown(result, root)
    results_file(root, quick=quick, suffix=".md").write_text(text)
    print(text)
    return 0
