"""Every read model of the projections service, by the name operators use for it.

A view owns its tables (created by its migrations), its consumer group and its
projector. Rebuilds and "as of" snapshots replay a view by this definition into a
schema of its own, so the same code builds the live tables and their replacements.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from grassroots_eventkit.consumer import Projector
from grassroots_eventkit.migrations import Migration

from projections_service.views import (
    communities,
    organisation_figures,
    points_figures,
    requests_figures,
    volunteering_figures,
)


@dataclass(frozen=True, slots=True)
class View:
    name: str
    migrations: tuple[Migration, ...]
    projector: Callable[[], Projector]

    @property
    def group(self) -> str:
        return self.projector().group

    @property
    def topics(self) -> Sequence[str]:
        return self.projector().topics


VIEWS: tuple[View, ...] = (
    View("communities", (communities.MIGRATION,), communities.CommunitiesProjector),
    View("organisation", organisation_figures.MIGRATIONS, organisation_figures.projector),
    View("requests", requests_figures.MIGRATIONS, requests_figures.projector),
    View("volunteering", (volunteering_figures.MIGRATION,), volunteering_figures.projector),
    View("points", (points_figures.MIGRATION,), points_figures.projector),
)


def view(name: str) -> View:
    for v in VIEWS:
        if v.name == name:
            return v
    raise KeyError(f"no view {name!r}; the views are {', '.join(v.name for v in VIEWS)}")
