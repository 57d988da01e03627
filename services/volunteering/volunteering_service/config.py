"""The volunteering service's settings (GRASSROOTS_* environment variables)."""

from __future__ import annotations

from datetime import timedelta

from grassroots_eventkit.settings import ServiceSettings
from pydantic import Field


class VolunteeringSettings(ServiceSettings):
    service_name: str = "volunteering"
    http_port: int = 8003

    # How long a check-in code shown at the venue stays valid (never past the end).
    check_in_code_valid_for: timedelta = Field(default=timedelta(hours=4), gt=timedelta(0))
    # Unheld weekend shifts are raised as gaps this long before Saturday 00:00 (China
    # Standard Time): 30 hours is Thursday 18:00, so "weekend service never gaps".
    rota_gap_notice: timedelta = Field(default=timedelta(hours=30), ge=timedelta(0))
    timer_poll_s: float = Field(default=1.0, gt=0)
