"""Wires the projections service: read-model migrations, projectors, routes."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_eventkit import runtime

from projections_service import api
from projections_service.config import ProjectionsSettings
from projections_service.views import communities


def spec() -> runtime.ServiceSpec:
    return runtime.ServiceSpec(
        name="projections",
        title="Grassroots projections service",
        description="Read models for each community and the county, built from public events.",
        version="0.1.0",
        migrations=(communities.MIGRATION,),
        routers=(api.router,),
        projectors=lambda _rt: (communities.CommunitiesProjector(),),
    )


def build_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    settings = settings or ProjectionsSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(), settings)


def main() -> None:
    settings = ProjectionsSettings()  # type: ignore[call-arg]
    runtime.run(spec(), settings)
