"""The requests service's settings (GRASSROOTS_* environment variables)."""

from __future__ import annotations

from datetime import timedelta

from grassroots_eventkit.settings import ServiceSettings
from pydantic import BaseModel, ConfigDict, Field

from requests_service.domain.catalogue import DeadlineRule


class Open311Client(BaseModel):
    """A system allowed to post through Open311 (the city hotline's app, say)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="who holds the key, recorded as the submitter")
    county: str = Field(description="the county its requests may be filed in")


class RequestsSettings(ServiceSettings):
    service_name: str = "requests"
    http_port: int = 8002

    # The county's own windows per category code, over the 12345 defaults, e.g.
    # GRASSROOTS_DEADLINE_OVERRIDES=
    #   '{"repairs": {"respond_within": "PT12H", "resolve_within": "P5D"}}'
    deadline_overrides: dict[str, DeadlineRule] = Field(default_factory=dict)
    # A resolved request the resident neither confirms nor rates closes as resolved after this.
    confirm_within: timedelta = Field(default=timedelta(days=7), gt=timedelta(0))
    # Dissatisfied answers reopen it this many times; the next one closes it as unresolved.
    max_reopenings: int = Field(default=2, ge=0)
    timer_poll_s: float = Field(default=1.0, gt=0)
    # Open311 API keys: GRASSROOTS_OPEN311_KEYS='{"<key>": {"name": "12345", "county": "东安县"}}'
    open311_keys: dict[str, Open311Client] = Field(default_factory=dict)
