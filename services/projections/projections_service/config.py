"""The projections service's settings (GRASSROOTS_* environment variables)."""

from grassroots_eventkit.settings import ServiceSettings


class ProjectionsSettings(ServiceSettings):
    service_name: str = "projections"
    http_port: int = 8005
