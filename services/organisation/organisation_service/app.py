"""Wires the organisation service: spec, runtime extras, entry point."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_contracts.topics import ORGANISATION_EVENTS
from grassroots_eventkit import runtime
from grassroots_eventkit.commands import CommandRunner

from organisation_service.api import communities, grid, members, party, queries, unit_orgs
from organisation_service.config import OrganisationSettings
from organisation_service.publication import to_public
from organisation_service.views import grid_model, unit_org_model


def spec(settings: OrganisationSettings) -> runtime.ServiceSpec:
    async def on_start(rt: runtime.Runtime) -> None:
        rt.extras["runner"] = CommandRunner(
            rt.store,
            source=rt.source(),
            publication=to_public,
            max_retries=settings.command_max_retries,
        )

    return runtime.ServiceSpec(
        name="organisation",
        title="Grassroots organisation service",
        description=(
            "The community grid (社区 → 小区 → 楼栋 → 单元 → 家庭) and the party organisation. "
            "Every change is an event; public events go to `grassroots.organisation.events`."
        ),
        version="0.1.0",
        produces=(ORGANISATION_EVENTS,),
        routers=(
            communities.router,
            grid.router,
            party.router,
            members.router,
            unit_orgs.router,
            queries.router,
        ),
        migrations=(grid_model.MIGRATION, unit_org_model.MIGRATION),
        projectors=lambda _rt: (grid_model.projector(extra=unit_org_model.RULES),),
        on_start=on_start,
    )


def build_app(settings: OrganisationSettings | None = None) -> FastAPI:
    settings = settings or OrganisationSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(settings), settings)


def main() -> None:
    settings = OrganisationSettings()  # type: ignore[call-arg]
    runtime.run(spec(settings), settings)
