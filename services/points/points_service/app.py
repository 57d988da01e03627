"""Wires the points service: spec, the command runner, the policies, entry point."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_contracts.topics import POINTS_EVENTS
from grassroots_eventkit import runtime
from grassroots_eventkit.commands import CommandRunner
from grassroots_eventkit.consumer import Projector

from points_service.api import commands, queries
from points_service.config import PointsSettings
from points_service.policies import PointsPolicies
from points_service.publication import to_public
from points_service.views import directory_model, points_model


def spec(settings: PointsSettings) -> runtime.ServiceSpec:
    def runner(rt: runtime.Runtime) -> CommandRunner:
        # Built on first use: the policies' consumer starts before `on_start` runs.
        if "runner" not in rt.extras:
            rt.extras["runner"] = CommandRunner(
                rt.store,
                source=rt.source(),
                publication=to_public,
                max_retries=settings.command_max_retries,
            )
        found: CommandRunner = rt.extras["runner"]
        return found

    async def on_start(rt: runtime.Runtime) -> None:
        runner(rt)

    def projectors(rt: runtime.Runtime) -> tuple[Projector, ...]:
        return (
            directory_model.projector(),
            points_model.projector(),
            PointsPolicies(runner(rt), rt.store),
        )

    return runtime.ServiceSpec(
        name="points",
        title="Grassroots points service",
        description=(
            "Red points (红色积分): a ledger per member scored from the other services' "
            "events by versioned rule books, the love supermarket (爱心超市), the double "
            "evaluation (双考评) and awards. Public events go to `grassroots.points.events`."
        ),
        version="0.1.0",
        produces=(POINTS_EVENTS,),
        routers=(commands.router, queries.router),
        migrations=(directory_model.MIGRATION, points_model.MIGRATION),
        projectors=projectors,
        on_start=on_start,
    )


def build_app(settings: PointsSettings | None = None) -> FastAPI:
    settings = settings or PointsSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(settings), settings)


def main() -> None:
    settings = PointsSettings()  # type: ignore[call-arg]
    runtime.run(spec(settings), settings)
