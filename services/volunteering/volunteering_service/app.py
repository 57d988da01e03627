"""Wires the volunteering service: spec, runtime extras, the timer, entry point."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_contracts.topics import VOLUNTEERING_EVENTS
from grassroots_eventkit import runtime
from grassroots_eventkit.commands import CommandRunner
from grassroots_eventkit.timers import DurableTimer

from volunteering_service.api import activities, queries, rota, teams
from volunteering_service.config import VolunteeringSettings
from volunteering_service.handlers.commands import timer_fire
from volunteering_service.publication import to_public
from volunteering_service.views import directory_model, volunteering_model


def spec(settings: VolunteeringSettings) -> runtime.ServiceSpec:
    async def on_start(rt: runtime.Runtime) -> None:
        rt.extras["runner"] = CommandRunner(
            rt.store,
            source=rt.source(),
            publication=to_public,
            max_retries=settings.command_max_retries,
        )

    def workers(rt: runtime.Runtime) -> tuple[runtime.Worker, ...]:
        timer = DurableTimer(
            rt.pool,
            volunteering_model.TIMERS,
            timer_fire(rt.extras["runner"]),
            name="volunteering-timer",
            poll_s=settings.timer_poll_s,
        )
        return (timer,)

    return runtime.ServiceSpec(
        name="volunteering",
        title="Grassroots volunteering service",
        description=(
            "Volunteer teams (志愿服务队), activities with sign-up, waitlist and check-in, the "
            "weekend duty rota (党员周末轮班) and certified hours. Every change is an event; "
            "public events go to `grassroots.volunteering.events`."
        ),
        version="0.1.0",
        produces=(VOLUNTEERING_EVENTS,),
        routers=(teams.router, activities.router, rota.router, queries.router),
        migrations=(directory_model.MIGRATION, volunteering_model.MIGRATION),
        projectors=lambda _rt: (directory_model.projector(), volunteering_model.projector()),
        on_start=on_start,
        workers=workers,
    )


def build_app(settings: VolunteeringSettings | None = None) -> FastAPI:
    settings = settings or VolunteeringSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(settings), settings)


def main() -> None:
    settings = VolunteeringSettings()  # type: ignore[call-arg]
    runtime.run(spec(settings), settings)
