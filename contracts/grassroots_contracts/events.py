"""The base of every public event payload."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class PublicEvent(BaseModel):
    """A public event's payload (the Kafka value); metadata travels in CloudEvents headers.

    Subclasses set `event_type` (``grassroots.<service>.<Name>.v<N>``) and `topic`.
    A breaking change is a new class with a new ``.vN``; fields may only be added
    as optional.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    # An example payload for the catalogue; every public event must provide one.
    example: ClassVar[dict[str, object]]

    @classmethod
    def type_name(cls) -> str:
        """`grassroots.organisation.CommunityRegistered` without the version."""
        return cls.event_type.rsplit(".", 1)[0]

    @classmethod
    def version(cls) -> int:
        return int(cls.event_type.rsplit(".v", 1)[1])
