"""Wires the projections service: read-model migrations, projectors, routes."""

from __future__ import annotations

from fastapi import FastAPI
from grassroots_eventkit import runtime

from projections_service import api, api_dashboard, web
from projections_service.config import ProjectionsSettings
from projections_service.replay import as_of
from projections_service.views.registry import VIEWS


async def _start_snapshots(rt: runtime.Runtime) -> None:
    rt.extras["snapshots"] = as_of.Snapshots(
        rt.pool, rt.settings.kafka_bootstrap, security=rt.settings.kafka_security()
    )


def spec() -> runtime.ServiceSpec:
    return runtime.ServiceSpec(
        name="projections",
        title="Grassroots projections service",
        description="Read models for each community and the county, built from public events.",
        version="0.1.0",
        migrations=sorted(
            (*(m for v in VIEWS for m in v.migrations), as_of.MIGRATION), key=lambda m: m.name
        ),
        routers=(api.router, api_dashboard.router, web.router),
        # One consumer group per view: each view keeps its own offsets, so a new view
        # replays its topic from the start without touching the others.
        projectors=lambda _rt: tuple(v.projector() for v in VIEWS),
        on_start=_start_snapshots,
    )


def build_app(settings: ProjectionsSettings | None = None) -> FastAPI:
    settings = settings or ProjectionsSettings()  # type: ignore[call-arg]
    return runtime.create_app(spec(), settings)


def main() -> None:
    settings = ProjectionsSettings()  # type: ignore[call-arg]
    runtime.run(spec(), settings)
