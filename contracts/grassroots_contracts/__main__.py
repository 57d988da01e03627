"""`python -m grassroots_contracts write|check`: keep contracts/schemas in step with the code.

`write` regenerates the catalogue (`make contracts`); `check` is what CI runs: it fails
when an event type vanished, a model changed incompatibly, or a public event has no
committed schema. The decisions live in `catalogue` and `compatibility`; this module
only reads, writes and prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from grassroots_contracts import history
from grassroots_contracts.catalogue import ASYNCAPI_FILE, catalogue_files, event_schemas, render
from grassroots_contracts.compatibility import check, check_catalogue, out_of_date

DEFAULT_DIR = Path("contracts/schemas")
# Inside the package, so an installed service can serve it (see `history`).
DEFAULT_HISTORY = Path("contracts/grassroots_contracts") / history.HISTORY_FILE


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m grassroots_contracts",
        description="Generate or check the public event catalogue (JSON Schema + AsyncAPI).",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="regenerate the committed catalogue files")
    write.add_argument("--out", type=Path, default=DEFAULT_DIR)
    write.add_argument("--history", type=Path, default=DEFAULT_HISTORY)
    check = commands.add_parser("check", help="fail on incompatible or missing schemas")
    check.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    check.add_argument("--history", type=Path, default=DEFAULT_HISTORY)
    args = parser.parse_args(argv)
    if args.command == "write":
        return write_catalogue(args.out, args.history)
    return check_catalogue_dir(args.dir, args.history)


def write_catalogue(out: Path, history_file: Path = DEFAULT_HISTORY) -> int:
    # Files of event types that left the code stay: they document events still on the
    # topics, and `check` decides whether their removal was allowed.
    out.mkdir(parents=True, exist_ok=True)
    committed, _ = _load_committed(out)
    current = {t: json.loads(render(s)) for t, s in event_schemas().items()}
    violations = [
        f"{event_type}: {problem}"
        for event_type in sorted(current.keys() & committed.keys())
        for problem in check(committed[event_type], current[event_type])
    ]
    if violations:
        # The history records compatible changes only; a breaking one is a new .vN.
        print("not written: the change is incompatible; see `check`", file=sys.stderr)
        for violation in violations:
            print(f"  - {violation}", file=sys.stderr)
        return 1
    known = _load_history(history_file)
    new = history.updated(known, committed, current, today=datetime.now(UTC).date())
    if new != known:
        history_file.write_text(history.render(new), encoding="utf-8")
        print(f"wrote     {history_file}")
    for name, text in sorted(catalogue_files().items()):
        path = out / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            print(f"unchanged {path}")
            continue
        path.write_text(text, encoding="utf-8")
        print(f"wrote     {path}")
    return 0


def check_catalogue_dir(directory: Path, history_file: Path = DEFAULT_HISTORY) -> int:
    committed, unreadable = _load_committed(directory)
    # Through JSON and back, so it compares like the files it is checked against.
    current = {t: json.loads(render(s)) for t, s in event_schemas().items()}
    violations = unreadable + check_catalogue(committed, current)
    violations += history.problems(_load_history(history_file), current)
    if violations:
        print(
            f"Public event contracts in {directory} are broken ({len(violations)} problem(s)):",
            file=sys.stderr,
        )
        for violation in violations:
            print(f"  - {violation}", file=sys.stderr)
        print(
            "A breaking change needs a new .vN event type (with an upcaster); "
            "only optional fields may be added to an existing one.",
            file=sys.stderr,
        )
        return 1
    for event_type in out_of_date(committed, current):
        print(f"note: {event_type} changed compatibly; run `make contracts` to refresh its schema")
    asyncapi = directory / ASYNCAPI_FILE
    if (
        not asyncapi.exists()
        or asyncapi.read_text(encoding="utf-8") != catalogue_files()[ASYNCAPI_FILE]
    ):
        print(f"note: {asyncapi} is out of date; run `make contracts`")
    print(f"Public event contracts: {len(current)} event type(s) compatible with {directory}")
    return 0


def _load_history(path: Path) -> history.History:
    return history.parse(path.read_text(encoding="utf-8")) if path.exists() else {}


def _load_committed(directory: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    committed: dict[str, dict[str, Any]] = {}
    unreadable: list[str] = []
    for path in sorted(directory.glob("*.json")):
        if path.name == ASYNCAPI_FILE:
            continue
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            unreadable.append(f"{path}: not valid JSON ({exc})")
            continue
        if not isinstance(schema, dict):
            unreadable.append(f"{path}: not a JSON Schema object")
            continue
        committed[path.name.removesuffix(".json")] = schema
    return committed, unreadable


if __name__ == "__main__":
    raise SystemExit(main())
