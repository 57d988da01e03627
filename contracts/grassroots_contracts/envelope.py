"""CloudEvents 1.0 in Kafka binary mode: header names and the metadata they carry.

The Kafka value is the JSON payload; everything else is a header. Extension
attribute names follow the CloudEvents rule (lower-case letters and digits only).
"""

from __future__ import annotations

from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"

H_ID = "ce_id"
H_TYPE = "ce_type"
H_SOURCE = "ce_source"
H_SPECVERSION = "ce_specversion"
H_TIME = "ce_time"
H_SUBJECT = "ce_subject"
H_COMMUNITY = "ce_communityid"
H_STREAM_VERSION = "ce_streamversion"
H_CORRELATION = "ce_correlationid"
H_CAUSATION = "ce_causationid"
H_ACTOR = "ce_actor"
H_CONTENT_TYPE = "content-type"

REQUIRED_HEADERS = (
    H_ID,
    H_TYPE,
    H_SOURCE,
    H_SPECVERSION,
    H_TIME,
    H_SUBJECT,
    H_COMMUNITY,
    H_STREAM_VERSION,
)


class EnvelopeMeta(BaseModel):
    """Everything about an event except its payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="CloudEvents id; consumers dedupe by it")
    event_type: str = Field(description="e.g. grassroots.organisation.CommunityRegistered.v1")
    source: str = Field(description="producing service, e.g. /grassroots/organisation")
    time: AwareDatetime
    subject: str = Field(description="the aggregate (stream) id")
    community_id: str = Field(description="the Kafka key: one community, one partition")
    stream_version: int = Field(ge=1)
    correlation_id: str | None = None
    causation_id: str | None = None
    actor: str | None = Field(default=None, description="token subject that caused it")
