"""Operator commands of the projections service: `python -m projections_service rebuild`.

Run with the service's own environment (GRASSROOTS_PG_DSN, GRASSROOTS_KAFKA_BOOTSTRAP,
...), beside the running service: `grassroots projections rebuild` does that for the
local stack, a Kubernetes Job does it in a cluster.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from grassroots_eventkit.db import create_pool
from grassroots_eventkit.logs import configure_logging
from grassroots_eventkit.migrations import migrate
from grassroots_eventkit.store.schema import EVENTKIT_MIGRATIONS
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from projections_service.app import spec
from projections_service.config import ProjectionsSettings
from projections_service.replay import rebuild as rebuilding
from projections_service.views.registry import VIEWS, View, view


class _EventsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} events/s" if speed else "… events/s")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m projections_service")
    sub = p.add_subparsers(dest="command", required=True)
    rb = sub.add_parser(
        "rebuild",
        help="replay views from offset 0 into fresh tables beside the live ones, then swap",
    )
    rb.add_argument(
        "--view",
        action="append",
        choices=[v.name for v in VIEWS],
        help="the view to rebuild (repeatable); every view when left out",
    )
    return p


async def _rebuild(views: list[View], console: Console) -> int:
    settings = ProjectionsSettings()  # type: ignore[call-arg]
    pool = await create_pool(settings.dsn(), min_size=1, max_size=2)
    failed = 0
    try:
        # The live tables first match this code's schema: a rebuild swaps in the tables of
        # every migration this code knows, so none may be left for the service to apply.
        await migrate(pool, [*EVENTKIT_MIGRATIONS, *spec().migrations])
        for v in views:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _EventsPerSecond(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                console=console,
                transient=not console.is_terminal,
            ) as bar:
                task = bar.add_task(f"{v.name}: replaying", total=None)

                def show(p: rebuilding.Progress, task_id=task, bar=bar) -> None:  # type: ignore[no-untyped-def]
                    bar.update(
                        task_id,
                        description=f"{p.view}: {p.phase}",
                        completed=p.read,
                        total=p.total,
                    )

                report = await rebuilding.rebuild(
                    pool,
                    settings.kafka_bootstrap,
                    v,
                    group_suffix=settings.consumer_group_suffix,
                    security=settings.kafka_security(),
                    on_progress=show,
                )
            console.print(
                f"rebuilt {report.view}: {report.events_read:,} events in {report.seconds:.1f} s"
                f" ({report.events_per_s:,.0f} events/s), {report.events_applied:,} applied;"
                f" writes held for {report.swap_ms:.0f} ms during the swap;"
                f" tables {', '.join(report.tables)}"
            )
            known = await rebuilding.dead_lettered_live(
                pool, v.group + settings.consumer_group_suffix, report.failures
            )
            for f in report.failures:
                if f.event_id in known:
                    console.print(f"  refused {f.event_type} {f.event_id}, as the live view did")
                    continue
                failed += 1
                console.print(f"  refused {f.event_type} {f.event_id}: {f.error}")
            if report.undecodable:
                console.print(f"  skipped {report.undecodable} undecodable messages")
    except rebuilding.RebuildBusy as exc:
        console.print(f"error: {exc}")
        return 2
    finally:
        await pool.close()
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging("projections-cli", "WARNING", "console")
    console = Console(stderr=False)
    views = [view(n) for n in args.view] if args.view else list(VIEWS)
    return asyncio.run(_rebuild(views, console))


if __name__ == "__main__":
    sys.exit(main())
