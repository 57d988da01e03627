"""The points service's settings (GRASSROOTS_* environment variables)."""

from __future__ import annotations

from grassroots_eventkit.settings import ServiceSettings
from pydantic import Field

from points_service.domain.evaluation import Thresholds


class PointsSettings(ServiceSettings):
    service_name: str = "points"
    http_port: int = 8004

    # The double evaluation's grade thresholds and weights, e.g.
    # GRASSROOTS_EVALUATION='{"excellent": 92, "qualified": 78, "basically_qualified": 60}'
    evaluation: Thresholds = Field(default_factory=Thresholds)
