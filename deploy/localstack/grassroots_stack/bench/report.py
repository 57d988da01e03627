"""The end-to-end benchmark's figures as text: one line per step while it runs, the
headline table, and the Markdown report committed beside the JSON."""

from __future__ import annotations

from typing import Any


def step_line(row: dict[str, Any]) -> str:
    lat, dash = row["cmd_latency_ms"], row["cmd_to_dashboard_ms"]
    mark = "held" if row["sustained"] else "[red]not held[/red]"
    return (
        f"{row['rate']:>5}/s asked: {row['achieved_per_s']:>7.1f}/s accepted ({mark}), "
        f"latency p50 {lat['p50']} p99 {lat['p99']} ms, dashboard p50 {dash['p50']} "
        f"p99 {dash['p99']} ms ({dash['samples']} seen), refused {sum(row['refused'].values())},"
        f" failed {row['failed']}, shed {row['shed']}"
    )


def _met(value: float | None, goal: float, *, at_least: bool) -> str:
    if value is None:
        return "not measured"
    return "met" if (value >= goal if at_least else value <= goal) else "not met"


def headline(result: dict[str, Any]) -> list[tuple[str, str, str]]:
    goals = result["goals"]
    lat, dash = result["cmd_latency_ms"], result["cmd_to_dashboard_ms"]
    sustained = result["sustained_cmds_per_s"]
    return [
        (
            "sustained commands/s",
            f"{sustained:,.0f}",
            f"≥ {goals['sustained_cmds_per_s']:,} "
            f"({_met(sustained, goals['sustained_cmds_per_s'], at_least=True)})",
        ),
        ("command latency p50 ms", f"{lat['p50']}", ""),
        (
            "command latency p99 ms",
            f"{lat['p99']}",
            f"< {goals['cmd_latency_p99_ms']} "
            f"({_met(lat['p99'], goals['cmd_latency_p99_ms'], at_least=False)})",
        ),
        ("command → dashboard p50 ms", f"{dash['p50']}", ""),
        (
            "command → dashboard p99 ms",
            f"{dash['p99']}",
            f"< {goals['cmd_to_dashboard_p99_ms']} "
            f"({_met(dash['p99'], goals['cmd_to_dashboard_p99_ms'], at_least=False)})",
        ),
        ("raw PostgreSQL tx/s (16 writers)", f"{result['raw_pg_tx_per_s']:,.0f}", "ceiling"),
        (
            "Kafka ProducerPerformance records/s",
            f"{result['kafka_producer_records_per_s']:,.0f}",
            "ceiling",
        ),
    ]


def markdown(result: dict[str, Any]) -> str:
    head = "\n".join(f"| {a} | {b} | {c} |" for a, b, c in headline(result))
    steps = "\n".join(
        f"| {s['rate']} | {s['achieved_per_s']:,.1f} | {'yes' if s['sustained'] else 'no'} | "
        f"{s['cmd_latency_ms']['p50']} | {s['cmd_latency_ms']['p99']} | "
        f"{s['cmd_to_dashboard_ms']['p50']} | {s['cmd_to_dashboard_ms']['p99']} | "
        f"{s['cmd_to_dashboard_ms']['samples']} | "
        f"{sum(s['refused'].values())}/{s['failed']}/{s['shed']} | {_top_cpu(s)} |"
        for s in result["steps"]
    )
    best = next((s for s in reversed(result["steps"]) if s["sustained"]), result["steps"][0])
    kinds = "\n".join(
        f"| {kind} | {v['p50']} | {v['p99']} |"
        for kind, v in best.get("cmd_latency_ms_by_kind", {}).items()
    )
    memory = "\n".join(f"| {name} | {mb:,.0f} |" for name, mb in result["rss_mb"].items())
    prof = result["profile"]
    own = "\n".join(f"| {fn} | {share:.1%} |" for fn, share in prof["self"][:15])
    under = "\n".join(f"| {fn} | {share:.1%} |" for fn, share in prof["inclusive"][:20])
    statements = "\n".join(
        f"| {r['database']} | `{r['statement'].replace('|', '/')}` | {r['calls_per_command']} "
        f"| {r['mean_ms']} | {r['share']:.1%} |"
        for r in prof.get("postgres_statements", [])
    )
    machine = result["machine"]
    return f"""# End-to-end benchmark

`make bench`, measured {result["measured_at"]} on {machine["cpus"]} CPUs ({machine["arch"]},
CPython {machine["python"]}); {machine["note"]}. The county mix (docs/benchmarks.md) is
sent open-loop from a separate process; latency counts from each command's scheduled
moment.

| figure | measured | goal |
| --- | ---: | --- |
{head}

## Steps

{_STEP_HEADER}
{steps}

Latency by kind of command at {best["rate"]} commands/s asked (p50 / p99 ms):

| command | p50 ms | p99 ms |
| --- | ---: | ---: |
{kinds}

## Memory (largest proportional set size seen, MB)

| process | MB |
| --- | ---: |
{memory}

## Profile of the busiest service: {prof["service"]} at {prof["rate"]} commands/s

py-spy, {prof["samples"]:,} busy samples over {prof["seconds"]:.0f} s.

Where the time is spent (own time):

| function | share |
| --- | ---: |
{own}

What the time is spent under (inclusive):

| function | share |
| --- | ---: |
{under}

PostgreSQL over the same seconds (pg_stat_statements; share of the server's statement
time, all databases):

| database | statement | calls per command | mean ms | share |
| --- | --- | ---: | ---: | ---: |
{statements}
"""


_STEP_HEADER = (
    "| asked/s | accepted/s | held | p50 ms | p99 ms | dashboard p50 ms | dashboard p99 ms "
    "| seen | refused/failed/shed | CPU per 1,000 commands (s) |\n"
    "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
)


def _top_cpu(step: dict[str, Any]) -> str:
    top = list(step["cpu_s_per_1000_cmds"].items())[:4]
    return ", ".join(f"{name} {seconds}" for name, seconds in top)
