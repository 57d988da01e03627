"""The organisation service's settings (GRASSROOTS_* environment variables)."""

from grassroots_eventkit.settings import ServiceSettings


class OrganisationSettings(ServiceSettings):
    service_name: str = "organisation"
    http_port: int = 8001
