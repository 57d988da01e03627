"""Found, lost or duplicated: each accepted command against every read model it reaches.

A command is *found* when every probe of it is answered with what the store says, *lost*
when one read model shows it fewer times (or the writer's store has nothing), and
*duplicated* when one shows it more times; lost wins over duplicated. A counter shared by
several commands that is short (or over) by n marks n of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from grassroots_stack import postgres
from grassroots_stack.chaos.effects import AcceptedCommand, Effects, Probe
from grassroots_stack.chaos.probes import effects_of
from grassroots_stack.chaos.stores import load_stores
from grassroots_stack.layout import Layout

DATABASES = ("requests", "volunteering", "points", "projections")
FOUND, LOST, DUPLICATED = "found", "lost", "duplicated"


@dataclass
class Verdicts:
    """Per command (its index in the ledger): found, lost or duplicated; where it went
    wrong, per read model; and what else was noticed."""

    by_command: dict[int, str] = field(default_factory=dict)
    wrong: Counter[str] = field(default_factory=Counter)  # "lost in <model>" -> commands
    probes: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return sum(1 for v in self.by_command.values() if v == verdict)

    def mark(self, i: int, verdict: str, model: str) -> None:
        if verdict == FOUND:
            return
        self.wrong[f"{verdict} in {model}"] += 1
        if self.by_command.get(i) != LOST:
            self.by_command[i] = verdict


ProbeKey = tuple[str, str, tuple[Any, ...]]


def key_of(probe: Probe) -> ProbeKey:
    args = tuple(tuple(a) if isinstance(a, list) else a for a in probe.args)
    return (probe.model, probe.sql, args)


async def _ask_all(conns: dict[str, asyncpg.Connection], effects: Effects) -> dict[ProbeKey, int]:
    """Every distinct probe asked once."""
    probes = [p for ps in effects.probes.values() for p in ps]
    probes += [t.probe for t in effects.tallies.values()]
    answers: dict[ProbeKey, int] = {}
    for probe in probes:
        key = key_of(probe)
        if key not in answers:
            answers[key] = int(await conns[probe.database].fetchval(probe.sql, *probe.args))
    return answers


def judge(
    ledger: Sequence[AcceptedCommand], effects: Effects, answers: dict[ProbeKey, int]
) -> Verdicts:
    """The verdicts, from what the read models answered (pure)."""
    verdicts = Verdicts(notes=list(effects.notes), probes=len(answers))
    verdicts.by_command = dict.fromkeys(range(len(ledger)), FOUND)
    for i in range(len(ledger)):
        if i in effects.missing:
            verdicts.mark(i, LOST, f"{ledger[i].kind} writer's store")
    for i, probes in effects.probes.items():
        for probe in probes:
            verdicts.mark(i, _verdict(answers[key_of(probe)], probe.expected), probe.model)
    for tally in effects.tallies.values():
        shown = answers[key_of(tally.probe)]
        diff = shown - tally.probe.expected
        off = set(tally.commands[len(tally.commands) - abs(diff) :]) if diff else set()
        verdict = _verdict(shown, tally.probe.expected)
        for i in tally.commands:
            verdicts.mark(i, verdict if i in off else FOUND, tally.probe.model)
    return verdicts


async def check(layout: Layout, ledger: Sequence[AcceptedCommand]) -> Verdicts:
    conns = {
        name: await asyncpg.connect(postgres.service_dsn(layout, name), timeout=10)
        for name in DATABASES
    }
    try:
        stores = await load_stores(conns, ledger)
        effects = effects_of(ledger, stores)
        return judge(ledger, effects, await _ask_all(conns, effects))
    finally:
        for conn in conns.values():
            await conn.close()


def _verdict(shown: int, expected: int) -> str:
    if shown == expected:
        return FOUND
    return LOST if shown < expected else DUPLICATED


def by_kind(ledger: Sequence[AcceptedCommand], verdicts: Verdicts) -> dict[str, Counter[str]]:
    """Per kind of command: how many were found, lost, duplicated."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for i, c in enumerate(ledger):
        out[c.kind][verdicts.by_command[i]] += 1
    return dict(out)
