"""Operator commands of the requests service: `python -m requests_service rotate-master-key`.

Run with the service's own environment (GRASSROOTS_PG_DSN, ...), beside the running
service: `grassroots keys rotate` does that for the local stack, a Kubernetes Job does it
in a cluster (docs/personal-data.md, Rotating the master key).

The keys never come on the command line: the new one is the settings' key
(GRASSROOTS_PERSONAL_DATA_KEY[_FILE]) and the current one the settings' previous key
(GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY[_FILE]), as the service itself holds them during a
rotation; or files named by --new-key-file and --current-key-file.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import TextIO

from grassroots_eventkit.db import create_pool
from grassroots_eventkit.logs import configure_logging
from grassroots_eventkit.migrations import migrate
from grassroots_eventkit.personal import KEY_VAULT_MIGRATIONS, MasterKey, WrongMasterKey
from grassroots_eventkit.personal.cipher import parse_master_key
from grassroots_eventkit.personal.rotation import RotationRefused, rotate

from requests_service.config import RequestsSettings


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m requests_service")
    sub = p.add_subparsers(dest="command", required=True)
    rot = sub.add_parser(
        "rotate-master-key",
        help="re-wrap every resident's data key under a new master key (resumable)",
    )
    rot.add_argument(
        "--current-key-file",
        type=Path,
        help="the key in use now; default GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY[_FILE]",
    )
    rot.add_argument(
        "--new-key-file",
        type=Path,
        help="the key to rotate to; default GRASSROOTS_PERSONAL_DATA_KEY[_FILE]",
    )
    rot.add_argument("--batch-size", type=int, default=1000, help="rows per transaction")
    return p


def _keys(args: argparse.Namespace, settings: RequestsSettings) -> tuple[MasterKey, MasterKey]:
    current = (
        args.current_key_file.read_text()
        if args.current_key_file
        else settings.personal_data_previous_master_key()
    )
    if current is None:
        raise RotationRefused(
            "give the current master key: GRASSROOTS_PERSONAL_DATA_PREVIOUS_KEY[_FILE]"
            " or --current-key-file"
        )
    new = args.new_key_file.read_text() if args.new_key_file else None
    new = new or settings.personal_data_master_key()
    return MasterKey(parse_master_key(current)), MasterKey(parse_master_key(new))


class _Progress:
    """One line a second at most: readable in a terminal and in a Job's log alike."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._shown < 1.0:
            return
        self._shown = now
        share = f" ({100 * done / total:.0f}%)" if total else ""
        print(f"re-wrapped {done:,} / {total:,} keys{share}", file=self._out, flush=True)


async def _rotate(args: argparse.Namespace, out: TextIO) -> int:
    settings = RequestsSettings()  # type: ignore[call-arg]
    try:
        current, new = _keys(args, settings)
    except (RotationRefused, ValueError) as exc:
        print(f"error: {exc}", file=out)
        return 2
    pool = await create_pool(settings.dsn(), min_size=1, max_size=3)
    try:
        await migrate(pool, KEY_VAULT_MIGRATIONS)
        print(f"rotating the master key {current.key_id} -> {new.key_id}", file=out, flush=True)
        report = await rotate(
            pool, current, new, batch_size=args.batch_size, on_progress=_Progress(out)
        )
    except WrongMasterKey as exc:
        print(f"error: WrongMasterKey: {exc}", file=out)
        return 2
    except RotationRefused as exc:
        print(f"error: {exc}", file=out)
        return 2
    finally:
        await pool.close()
    if report.step == "done":
        print(f"already rotated: the database's master key is {new.key_id}", file=out)
        return 0
    print(
        f"rotated to {report.to_key}{' (resumed)' if report.step == 'resume' else ''}:"
        f" {report.rows:,} keys re-wrapped in {report.seconds:.2f} s"
        f" ({report.rows_per_s:,.0f} keys/s)",
        file=out,
    )
    return 0


def main(argv: list[str] | None = None, out: TextIO | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging("requests-cli", "WARNING", "console")
    return asyncio.run(_rotate(args, out or sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
