"""Aggregates' current state, read through a cache that catches up incrementally."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

from grassroots_eventkit.domain import Decider, NotFound
from grassroots_eventkit.store.model import StoredEvent

CacheKey = tuple[str, str]  # (stream type, stream id): an id sent for the wrong kind never hits


class _Loads(Protocol):
    async def load(self, stream_id: str, *, after: int = 0) -> list[StoredEvent]: ...


class StateCache:
    """Recently read or written aggregates' (version, state), least recently used out first.

    A command on a cached aggregate skips the load: it decides on the cached state
    and appends with the cached version as the expected one. If another instance
    wrote in between, the append is refused as a conflict, the entry is dropped and
    the retry reads the stream. States are immutable (frozen), so sharing them is safe.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[CacheKey, tuple[int, Any]] = OrderedDict()

    def get(self, key: CacheKey) -> tuple[int, Any] | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: CacheKey, version: int, state: Any) -> None:
        if self._size <= 0:
            return
        self._entries[key] = (version, state)
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def drop(self, key: CacheKey) -> None:
        self._entries.pop(key, None)


class AggregateReader:
    """`read` costs one query for the events newer than the cached version (usually
    none), so a long stream costs what its latest events cost; the answer is
    consistent with everything committed before the read."""

    def __init__(self, store: _Loads, cache: StateCache) -> None:
        self._store = store
        self.cache = cache

    async def read(self, decider: Decider[Any, Any, Any], stream_id: str) -> tuple[int, Any]:
        key = (decider.stream_type, stream_id)
        cached = self.cache.get(key)
        version, state = cached if cached is not None else (0, decider.initial_state)
        newer = await self._store.load(stream_id, after=version)
        if not decider.owns([e.event_type for e in newer]):
            raise NotFound(
                f"{decider.stream_type}_not_found", f"no {decider.stream_type} {stream_id}"
            )
        for stored in newer:
            event = decider.event_types.decode(stored.event_type, stored.data)
            state = decider.evolve(state, event)
            version = stored.version
        if newer:
            self.cache.put(key, version, state)
        return version, state
