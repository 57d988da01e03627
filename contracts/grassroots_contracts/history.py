"""Each public event type's compatibility history: which version, when, what changed.

The history is kept in `history.json` inside this package (so a service installed from
a wheel can serve it), keyed by the event type without its version:

    {"grassroots.requests.RequestSubmitted": [
        {"version": 1, "date": "2026-11-29", "change": "introduced", "compatible": true}]}

`python -m grassroots_contracts write` appends an entry when an event type appears,
when a new `.vN` replaces an older one (a breaking change: compatible false), and when
a committed schema changes compatibly (added optional fields: compatible true); `check`
fails when the history misses a current event type. Pure: reading and writing the
file is the CLI's job, loading it is `load()`'s.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from importlib import resources
from typing import Any, TypedDict

HISTORY_FILE = "history.json"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Entry(TypedDict):
    version: int
    date: str
    change: str
    compatible: bool


History = dict[str, list[Entry]]


def split_type(event_type: str) -> tuple[str, int]:
    """`grassroots.x.Thing.v2` -> (`grassroots.x.Thing`, 2)."""
    name, _, version = event_type.rpartition(".v")
    return name, int(version)


def load() -> History:
    """The history this installed contracts package ships with."""
    text = resources.files("grassroots_contracts").joinpath(HISTORY_FILE).read_text("utf-8")
    return parse(text)


def parse(text: str) -> History:
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("a history is an object of event type names")
    return {str(name): [_entry(e) for e in entries] for name, entries in raw.items()}


def _entry(raw: Any) -> Entry:
    return Entry(
        version=int(raw["version"]),
        date=str(raw["date"]),
        change=str(raw["change"]),
        compatible=bool(raw["compatible"]),
    )


def render(history: Mapping[str, list[Entry]]) -> str:
    return json.dumps(dict(sorted(history.items())), indent=2, ensure_ascii=False) + "\n"


def updated(
    history: Mapping[str, list[Entry]],
    committed: Mapping[str, Mapping[str, Any]],
    current: Mapping[str, Mapping[str, Any]],
    *,
    today: date,
) -> History:
    """The history with an entry for every new event type, new version, or compatible
    change of a committed schema (`current` is already known to be compatible)."""
    result: History = {name: list(entries) for name, entries in history.items()}
    stamp = today.isoformat()
    for event_type in sorted(current):
        name, version = split_type(event_type)
        entries = result.setdefault(name, [])
        if not any(e["version"] == version for e in entries):
            older = [e["version"] for e in entries if e["version"] < version]
            if older:
                change = (
                    f"v{version} replaces v{max(older)}: a breaking change; "
                    f"v{max(older)} events stay on the topic"
                )
                entries.append(Entry(version=version, date=stamp, change=change, compatible=False))
            else:
                entries.append(
                    Entry(version=version, date=stamp, change="introduced", compatible=True)
                )
        elif event_type in committed and committed[event_type] != current[event_type]:
            change = describe(committed[event_type], current[event_type])
            entries.append(Entry(version=version, date=stamp, change=change, compatible=True))
    return result


def describe(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """A compatible change in words: the optional fields it added, or what else moved."""
    old_fields = set(old.get("properties", {}))
    added = sorted(set(new.get("properties", {})) - old_fields)
    if added:
        return "added optional field(s): " + ", ".join(added)
    return "descriptions or examples revised; payloads unchanged"


def problems(history: Mapping[str, list[Entry]], current: Mapping[str, Any]) -> list[str]:
    """What `check` reports: a current event type the history does not know, or a
    malformed entry."""
    found: list[str] = []
    for event_type in sorted(current):
        name, version = split_type(event_type)
        if not any(e["version"] == version for e in history.get(name, [])):
            found.append(
                f"{event_type}: not in the compatibility history; run `make contracts` "
                "(python -m grassroots_contracts write)"
            )
    for name, entries in sorted(history.items()):
        for entry in entries:
            if not _DATE.match(entry["date"]):
                found.append(f"{name}: history date {entry['date']!r} is not YYYY-MM-DD")
        if [e["date"] for e in entries] != sorted(e["date"] for e in entries):
            found.append(f"{name}: history entries are not in date order")
    return found
