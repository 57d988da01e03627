"""Wires the projections service: read-model migrations, projectors, routes."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_eventkit import runtime

from projections_service import api, api_dashboard, web
from projections_service.config import ProjectionsSettings
from projections_service.views import (
    communities,
    organisation_figures,
    points_figures,
    requests_figures,
    volunteering_figures,
)


def spec() -> runtime.ServiceSpec:
    return runtime.ServiceSpec(
        name="projections",
        title="Grassroots projections service",
        description="Read models for each community and the county, built from public events.",
        version="0.1.0",
        migrations=(
            communities.MIGRATION,
            organisation_figures.MIGRATION,
            requests_figures.MIGRATION,
            volunteering_figures.MIGRATION,
            points_figures.MIGRATION,
        ),
        routers=(api.router, api_dashboard.router, web.router),
        # One consumer group per view: each view keeps its own offsets, so a new view
        # replays its topic from the start without touching the others.
        projectors=lambda _rt: (
            communities.CommunitiesProjector(),
            organisation_figures.projector(),
            requests_figures.projector(),
            volunteering_figures.projector(),
            points_figures.projector(),
        ),
    )


def build_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    settings = settings or ProjectionsSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(), settings)


def main() -> None:
    settings = ProjectionsSettings()  # type: ignore[call-arg]
    runtime.run(spec(), settings)
