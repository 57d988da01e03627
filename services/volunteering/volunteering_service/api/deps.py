"""What the volunteering routes share: ids in paths, example bodies, the handlers' desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from grassroots_eventkit.http.commands import Context, Runner, Store
from grassroots_eventkit.http.security import CurrentPrincipal
from grassroots_eventkit.values import ID_PATTERN
from pydantic import BaseModel, ConfigDict

from volunteering_service.config import VolunteeringSettings
from volunteering_service.handlers.commands import Desk

PathId = Annotated[str, Path(min_length=1, max_length=80, pattern=ID_PATTERN)]


def example_body(example: dict[str, object]) -> ConfigDict:
    return ConfigDict(frozen=True, extra="forbid", json_schema_extra={"examples": [example]})


async def _desk(
    request: Request, principal: CurrentPrincipal, ctx: Context, runner: Runner, store: Store
) -> Desk:
    return Desk(runner, store, request.app.state.runtime.pool, principal, ctx)


DeskDep = Annotated[Desk, Depends(_desk)]


def keyed(desk: Desk, body: BaseModel) -> Desk:
    """The desk with its context keyed on what the client sent (its Idempotency-Key)."""
    return Desk(desk.runner, desk.store, desk.pool, desk.principal, desk.ctx.for_request(body))


async def _settings(request: Request) -> VolunteeringSettings:
    settings: VolunteeringSettings = request.app.state.runtime.settings
    return settings


Settings = Annotated[VolunteeringSettings, Depends(_settings)]
