"""Wires the requests service: spec, runtime extras, timer, entry point."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_contracts.topics import REQUESTS_EVENTS
from grassroots_eventkit import runtime
from grassroots_eventkit.commands import CommandRunner
from grassroots_eventkit.personal import PersonalData
from grassroots_eventkit.timers import DurableTimer

from requests_service.api import commands, queries, residents
from requests_service.config import RequestsSettings
from requests_service.domain import request as rq
from requests_service.domain.request_events import PERSONAL_FIELDS
from requests_service.handlers.lifecycle import timer_fire
from requests_service.open311 import routes as open311
from requests_service.publication import to_public
from requests_service.views import request_model, routing_model


def spec(settings: RequestsSettings) -> runtime.ServiceSpec:
    async def on_start(rt: runtime.Runtime) -> None:
        rt.extras["runner"] = CommandRunner(
            rt.store,
            source=rt.source(),
            publication=to_public,
            max_retries=settings.command_max_retries,
        )

    def workers(rt: runtime.Runtime) -> tuple[runtime.Worker, ...]:
        fire = timer_fire(rt.extras["runner"], rt.store, rt.pool)
        timer = DurableTimer(
            rt.pool,
            request_model.TIMERS,
            fire,
            name="deadline-timer",
            poll_s=settings.timer_poll_s,
        )
        return (timer,)

    return runtime.ServiceSpec(
        name="requests",
        title="Grassroots requests service",
        description=(
            "Residents' requests (群众点单), members reporting for duty on them (党员报到) and "
            "whistles to the county's departments (吹哨报到). Every change is an event; public "
            "events go to `grassroots.requests.events`. Open311 GeoReport v2 at `/open311/v2`."
        ),
        version="0.1.0",
        produces=(REQUESTS_EVENTS,),
        routers=(commands.router, queries.router, residents.router, open311.router),
        migrations=(
            routing_model.MIGRATION,
            request_model.MIGRATION,
            request_model.HOUSEHOLDS,
            request_model.RESIDENT_REQUESTS,
        ),
        projectors=lambda _rt: (routing_model.projector(), request_model.projector()),
        on_start=on_start,
        workers=workers,
        personal_data=PersonalData(PERSONAL_FIELDS, deciders=(rq.DECIDER,)),
    )


def build_app(settings: RequestsSettings | None = None) -> FastAPI:
    settings = settings or RequestsSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(settings), settings)


def main() -> None:
    settings = RequestsSettings()  # type: ignore[call-arg]
    runtime.run(spec(settings), settings)
