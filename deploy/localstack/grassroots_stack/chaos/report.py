"""The chaos table on the terminal, bench/results/chaos.json (one row per scenario) and
chaos.md beside it."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

COLUMNS = ("scenario", "accepted", "found", "lost", "duplicated")


def table(rows: list[dict[str, Any]], title: str) -> Table:
    out = Table(title=title)
    out.add_column("scenario", no_wrap=True)
    for column in (*COLUMNS[1:], "failed", "shed", "catch-up s", "ok"):
        out.add_column(column, justify="right")
    for row in rows:
        out.add_row(
            row["scenario"],
            *(str(row[c]) for c in COLUMNS[1:]),
            str(row["load"].get("failed", "-")),
            str(row["load"].get("shed", "-")),
            "-" if row["catch_up_s"] is None else f"{row['catch_up_s']:.1f}",
            "[green]yes[/green]" if row["ok"] else "[red]NO[/red]",
        )
    return out


def print_rows(console: Console, rows: list[dict[str, Any]], title: str) -> None:
    console.print(table(rows, title))
    for row in rows:
        for problem in row["problems"]:
            console.print(f"  [red]{row['scenario']}: {problem}[/red]")
        for note in row["notes"]:
            console.print(f"  {row['scenario']}: {note}")


def _markdown(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    lines = [
        "# Chaos run",
        "",
        f"`make chaos{' QUICK=1' if meta['quick'] else ''}` on {meta['machine']}, measured "
        f"{meta['measured_at']}: the county mix at {meta['rate']:g} commands/s for "
        f"{meta['seconds']:g} s per scenario, the fault {meta['lead_s']:g} s in; then every "
        "consumer group caught up and each accepted command looked for in every read model "
        "it reaches (docs/chaos.md). `failed`: commands the load gave up on after 30 s of "
        "retries with their Idempotency-Key; `shed`: not sent, 256 already in flight.",
        "",
        "| scenario | accepted | found | lost | duplicated | failed | shed | catch-up s | ok |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        catch_up = "-" if r["catch_up_s"] is None else f"{r['catch_up_s']:.1f}"
        lines.append(
            f"| {r['scenario']} | {r['accepted']} | {r['found']} | {r['lost']} |"
            f" {r['duplicated']} | {r['load'].get('failed', '-')} |"
            f" {r['load'].get('shed', '-')} | {catch_up} |"
            f" {'yes' if r['ok'] else 'NO'} |"
        )
    lines.append("")
    for r in rows:
        lines.append(
            f"- **{r['scenario']}**: " + "; ".join(r["fault"] + r["problems"] + r["notes"])
        )
    return "\n".join(lines) + "\n"


def write(root: Path, rows: list[dict[str, Any]], meta: dict[str, Any]) -> list[Path]:
    out = root / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    data, md = out / "chaos.json", out / "chaos.md"
    data.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    md.write_text(_markdown(rows, meta))
    return [data, md]


def meta(quick: bool, rate: float, seconds: float, lead_s: float) -> dict[str, Any]:
    return {
        "quick": quick,
        "rate": rate,
        "seconds": seconds,
        "lead_s": lead_s,
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
