"""Who may do what on the brokers: SCRAM principals and their ACLs (ADR 0015, 0016).

Kafka runs with the KRaft StandardAuthorizer and denies whatever no ACL allows. Each
service is its own principal (`service-<name>`) that may write and create only its own
topics (`grassroots.<name>.*` and its dead-letter topics) and read only the topics its
consumers subscribe to, in consumer groups of its own (`grassroots.<name>.*`). An
outside agency (`agency-<name>`, agencies.py) may read the public event topics, in
consumer groups under its own prefix, and nothing else.

Changes go through confluent-kafka's admin client (librdkafka), which speaks
AlterUserScramCredentials and the ACL APIs that aiokafka lacks: one Python process
instead of one JVM start per Java tool call (ADR 0015).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)
from grassroots_contracts.topics import (
    ALL_TOPICS,
    ORGANISATION_EVENTS,
    POINTS_EVENTS,
    REQUESTS_EVENTS,
    VOLUNTEERING_EVENTS,
    TopicSpec,
    dead_letter_topic,
)
from grassroots_eventkit.settings import KafkaSecurity

# What each service's consumers subscribe to (its projectors' `topics`, in its app.py).
# A consumer reading anything else is refused by the brokers, and its service never
# becomes ready: `grassroots stack up` fails loudly rather than run half-authorised.
SERVICE_CONSUMES: dict[str, tuple[TopicSpec, ...]] = {
    "organisation": (ORGANISATION_EVENTS,),
    "requests": (ORGANISATION_EVENTS, REQUESTS_EVENTS),
    "volunteering": (ORGANISATION_EVENTS, VOLUNTEERING_EVENTS),
    "points": (ORGANISATION_EVENTS, REQUESTS_EVENTS, VOLUNTEERING_EVENTS, POINTS_EVENTS),
    "projections": (ORGANISATION_EVENTS, REQUESTS_EVENTS, VOLUNTEERING_EVENTS, POINTS_EVENTS),
}

SCRAM_ITERATIONS = 8192
TIMEOUT_S = 15.0


@dataclass(frozen=True, order=True)
class Grant:
    """One ACL: ALLOW `operation` on a resource, for a principal given elsewhere."""

    resource: str  # "topic" | "group" | "cluster"
    name: str
    pattern: str  # "literal" | "prefixed"
    operation: str  # "read" | "write" | "create" | "describe"

    def describe(self) -> str:
        star = "*" if self.pattern == "prefixed" else ""
        return f"{self.operation} {self.resource} {self.name}{star}"


def service_principal(service: str) -> str:
    return f"service-{service}"


def service_grants(service: str) -> list[Grant]:
    own = f"grassroots.{service}."
    letters = dead_letter_topic(own)  # every consumer group of the service starts with `own`
    grants = [Grant("topic", own, "prefixed", op) for op in ("write", "create", "describe")]
    grants += [Grant("topic", letters, "prefixed", op) for op in ("write", "create", "describe")]
    grants += [Grant("topic", spec.name, "literal", "read") for spec in SERVICE_CONSUMES[service]]
    grants.append(Grant("group", own, "prefixed", "read"))
    return sorted(grants)


def public_topics() -> list[TopicSpec]:
    return [spec for spec in ALL_TOPICS if spec.public]


def agency_grants(principal: str) -> list[Grant]:
    """Read the public event topics; consume in groups named `<principal>.*` only."""
    grants = [
        Grant("topic", spec.name, "literal", op)
        for spec in public_topics()
        for op in ("read", "describe")
    ]
    grants.append(Grant("group", f"{principal}.", "prefixed", "read"))
    return sorted(grants)


_RESOURCES = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "cluster": ResourceType.BROKER,
}
_PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}
_OPERATIONS = {
    "read": AclOperation.READ,
    "write": AclOperation.WRITE,
    "create": AclOperation.CREATE,
    "describe": AclOperation.DESCRIBE,
}


def _binding(principal: str, grant: Grant) -> AclBinding:
    return AclBinding(
        _RESOURCES[grant.resource],
        grant.name,
        _PATTERNS[grant.pattern],
        f"User:{principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def _filter(principal: str, grant: Grant) -> AclBindingFilter:
    return AclBindingFilter(
        _RESOURCES[grant.resource],
        grant.name,
        _PATTERNS[grant.pattern],
        f"User:{principal}",
        "*",
        _OPERATIONS[grant.operation],
        AclPermissionType.ALLOW,
    )


def _grant(binding: AclBinding) -> Grant:
    def key(table: dict[str, Any], value: object) -> str:
        return next(k for k, v in table.items() if v == value)

    return Grant(
        key(_RESOURCES, binding.restype),
        binding.name,
        key(_PATTERNS, binding.resource_pattern_type),
        key(_OPERATIONS, binding.operation),
    )


def confluent_config(
    bootstrap: str, security: KafkaSecurity, client_id: str = "grassroots-access"
) -> dict[str, str]:
    """A confluent-kafka (librdkafka) client's settings for `security`."""
    config = {
        "bootstrap.servers": bootstrap,
        "security.protocol": security.security_protocol,
        "client.id": client_id,
    }
    if security.username is not None and security.password is not None:
        config |= {
            "sasl.mechanism": security.sasl_mechanism,
            "sasl.username": security.username,
            "sasl.password": security.password.get_secret_value(),
        }
    return config


class KafkaAccess:
    """The brokers' principals and ACLs, changed as the stack's super user."""

    def __init__(self, bootstrap: str, admin: KafkaSecurity) -> None:
        self._admin = AdminClient(confluent_config(bootstrap, admin))

    def set_passwords(self, passwords: dict[str, str]) -> None:
        """Create or replace each user's SCRAM-SHA-512 credential."""
        info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
        futures = self._admin.alter_user_scram_credentials(
            [UserScramCredentialUpsertion(u, info, pw.encode()) for u, pw in passwords.items()],
            request_timeout=TIMEOUT_S,
        )
        for future in futures.values():
            future.result()

    def delete_password(self, user: str) -> bool:
        """Delete the user's credential; False if there was none."""
        futures = self._admin.alter_user_scram_credentials(
            [UserScramCredentialDeletion(user, ScramMechanism.SCRAM_SHA_512)],
            request_timeout=TIMEOUT_S,
        )
        try:
            for future in futures.values():
                future.result()
        except KafkaException as exc:
            if "RESOURCE_NOT_FOUND" in str(exc) or "not found" in str(exc).lower():
                return False
            raise
        return True

    def users(self) -> list[str]:
        """Every principal with a SCRAM credential."""
        described = self._admin.describe_user_scram_credentials(request_timeout=TIMEOUT_S)
        result = described.result() if hasattr(described, "result") else described
        if isinstance(result, dict):
            return sorted(result)
        return sorted(user for user in result)

    def allow(self, principal: str, grants: Iterable[Grant]) -> None:
        """Add the ACLs (adding one that exists is a no-op on the brokers)."""
        bindings = [_binding(principal, g) for g in grants]
        if not bindings:
            return
        for future in self._admin.create_acls(bindings, request_timeout=TIMEOUT_S).values():
            future.result()

    def revoke(self, principal: str, grants: Iterable[Grant]) -> None:
        filters = [_filter(principal, g) for g in grants]
        if not filters:
            return
        for future in self._admin.delete_acls(filters, request_timeout=TIMEOUT_S).values():
            future.result()

    def revoke_all(self, principal: str) -> list[Grant]:
        """Delete every ACL naming the principal; returns what was deleted."""
        any_acl = AclBindingFilter(
            ResourceType.ANY,
            None,
            ResourcePatternType.ANY,
            f"User:{principal}",
            None,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        deleted: list[Grant] = []
        for future in self._admin.delete_acls([any_acl], request_timeout=TIMEOUT_S).values():
            deleted += [_grant(b) for b in future.result()]
        return sorted(deleted)

    def grants(self) -> dict[str, list[Grant]]:
        """Every ACL on the brokers, by principal (without the `User:`)."""
        any_acl = AclBindingFilter(
            ResourceType.ANY,
            None,
            ResourcePatternType.ANY,
            None,
            None,
            AclOperation.ANY,
            AclPermissionType.ANY,
        )
        found: dict[str, list[Grant]] = {}
        for binding in self._admin.describe_acls(any_acl, request_timeout=TIMEOUT_S).result():
            found.setdefault(binding.principal.removeprefix("User:"), []).append(_grant(binding))
        return {p: sorted(g) for p, g in sorted(found.items())}


def ensure_services(
    access: KafkaAccess, passwords: dict[str, str], services: Sequence[str]
) -> None:
    """Every service's principal with its password on file, and exactly its grants: a
    grant the table no longer lists is taken away."""
    access.set_passwords({service_principal(s): passwords[s] for s in services})
    existing = access.grants()
    for service in services:
        principal, wanted = service_principal(service), service_grants(service)
        access.allow(principal, wanted)
        access.revoke(principal, set(existing.get(principal, ())) - set(wanted))
