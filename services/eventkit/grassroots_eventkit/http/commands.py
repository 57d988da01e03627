"""What every command route shares: the runner dependency and the 201/200 answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Response
from pydantic import BaseModel, ConfigDict

from grassroots_eventkit.commands import Accepted, CommandContext, CommandRunner
from grassroots_eventkit.http.security import command_context
from grassroots_eventkit.store import EventStore

# Dependencies are coroutines on purpose: FastAPI runs a plain `def` dependency in its
# thread pool, a hop that costs more than everything these do.
Context = Annotated[CommandContext, Depends(command_context)]


class CommandAccepted(BaseModel):
    """A command's answer: the aggregate it changed and that aggregate's new version."""

    model_config = ConfigDict(
        frozen=True,
        json_schema_extra={
            "examples": [{"id": "0193a7c2-5b1e-7c3d-9f00-1a2b3c4d5e6f", "version": 1}]
        },
    )

    id: str
    version: int


async def _runner(request: Request) -> CommandRunner:
    runner: CommandRunner = request.app.state.runtime.extras["runner"]
    return runner


Runner = Annotated[CommandRunner, Depends(_runner)]


async def _store(request: Request) -> EventStore:
    store: EventStore = request.app.state.runtime.store
    return store


Store = Annotated[EventStore, Depends(_store)]


def answer(response: Response, accepted: Accepted, location: str | None = None) -> CommandAccepted:
    """201 for a new aggregate, 200 otherwise; Location; and whether this is a replay."""
    response.status_code = accepted.status_code
    if location:
        response.headers["Location"] = location
    if accepted.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return CommandAccepted(**accepted.body())
