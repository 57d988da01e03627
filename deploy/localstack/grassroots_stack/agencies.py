"""Outside agencies' access to the public event topics (ADR 0016).

An agency is a SCRAM principal `agency-<name>` allowed to read the public topics
(grassroots.<service>.events) in consumer groups named `agency-<name>.*`, and nothing
else: no dead-letter or internal topic, no writing, no other agency's groups.

Every change is appended to a ledger (one JSON object a line, never rewritten): who ran
it, when, what, and which ACLs it added or removed. The brokers hold the truth about
who may read; the ledger says how it came to be.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from grassroots_stack import keys
from grassroots_stack.kafka_access import Grant, KafkaAccess, agency_grants
from grassroots_stack.layout import Layout

PREFIX = "agency-"
# Lower-case letters, digits and inner hyphens: safe in a principal, a group prefix and
# a file name, and no dot, so one agency's group prefix never covers another's.
NAME_RULE = re.compile(r"^[a-z](?:[a-z0-9]|-(?!-)){2,39}(?<!-)$")
NAME_RULE_TEXT = (
    "3 to 40 characters: lower-case letters, digits and hyphens, starting with a letter, "
    "not ending with a hyphen, never two hyphens in a row"
)


class AgencyError(ValueError):
    """A refused request: bad name, unknown agency, agency already there."""


@dataclass(frozen=True)
class Agency:
    name: str
    principal: str
    has_credential: bool
    grants: tuple[Grant, ...]

    @property
    def group_prefix(self) -> str:
        return f"{self.principal}."


def principal_of(name: str) -> str:
    if not NAME_RULE.fullmatch(name or ""):
        raise AgencyError(f"agency name {name!r} is not valid: {NAME_RULE_TEXT}")
    return PREFIX + name


def add(layout: Layout, access: KafkaAccess, name: str, *, actor: str | None = None) -> str:
    """A new agency with its grants; returns its password (shown once, kept in keys/)."""
    principal = principal_of(name)
    if principal in access.users() or principal in access.grants():
        raise AgencyError(f"agency {name!r} exists already: rotate its password or remove it")
    password = keys.new_kafka_password(layout, principal)
    access.set_passwords({principal: password})
    grants = agency_grants(principal)
    access.allow(principal, grants)
    _record(layout, actor, "add", name, principal, granted=grants)
    return password


def rotate(layout: Layout, access: KafkaAccess, name: str, *, actor: str | None = None) -> str:
    """A new password; the old one is refused from the next connection on."""
    principal = principal_of(name)
    if principal not in access.users():
        raise AgencyError(f"no agency {name!r}: add it first")
    password = keys.new_kafka_password(layout, principal)
    access.set_passwords({principal: password})
    _record(layout, actor, "rotate", name, principal)
    return password


def remove(layout: Layout, access: KafkaAccess, name: str, *, actor: str | None = None) -> None:
    """ACLs first (the brokers refuse the very next request, even on an open connection),
    then the credential (no new connection)."""
    principal = principal_of(name)
    known = access.users()
    if principal not in known and principal not in access.grants():
        raise AgencyError(f"no agency {name!r}")
    revoked = access.revoke_all(principal)
    if principal in known:
        access.delete_password(principal)
    keys.forget_kafka_password(layout, principal)
    _record(layout, actor, "remove", name, principal, revoked=revoked)


def listing(access: KafkaAccess) -> list[Agency]:
    users = set(access.users())
    grants = access.grants()
    principals = sorted(p for p in users | set(grants) if p.startswith(PREFIX))
    return [
        Agency(
            name=p.removeprefix(PREFIX),
            principal=p,
            has_credential=p in users,
            grants=tuple(grants.get(p, ())),
        )
        for p in principals
    ]


def ledger(layout: Layout) -> list[dict[str, Any]]:
    path = layout.kafka_access_ledger
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _record(
    layout: Layout,
    actor: str | None,
    action: str,
    name: str,
    principal: str,
    *,
    granted: list[Grant] | None = None,
    revoked: list[Grant] | None = None,
) -> None:
    entry = {
        "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "actor": actor or getpass.getuser(),
        "action": action,
        "agency": name,
        "principal": principal,
        "acls_added": [g.describe() for g in granted or []],
        "acls_removed": [g.describe() for g in revoked or []],
    }
    layout.run_dir.mkdir(parents=True, exist_ok=True)
    # O_APPEND: each entry lands whole at the end; nothing here rewrites an earlier line.
    fd = os.open(layout.kafka_access_ledger, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
