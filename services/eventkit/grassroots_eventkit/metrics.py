"""Prometheus metrics every service exports at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

COMMANDS = Counter(
    "grassroots_commands_total", "Commands handled, by outcome", ["command", "outcome"]
)
COMMAND_SECONDS = Histogram(
    "grassroots_command_seconds",
    "Command latency from load to commit",
    ["command"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
CONCURRENCY_RETRIES = Counter(
    "grassroots_command_conflict_retries_total",
    "Commands retried after a version conflict",
    ["command"],
)
RELAY_PUBLISHED = Counter("grassroots_relay_published_total", "Outbox records published")
RELAY_BACKLOG = Gauge("grassroots_relay_backlog", "Outbox records waiting, per shard", ["shard"])
RELAY_LAG_SECONDS = Gauge(
    "grassroots_relay_lag_seconds", "Age of the oldest record in the last batch published"
)
RELAY_SHARDS_OWNED = Gauge("grassroots_relay_shards_owned", "Outbox shards this relay holds")
EVENTS_APPLIED = Counter(
    "grassroots_events_applied_total", "Events applied to read models", ["consumer"]
)
EVENTS_DUPLICATE = Counter(
    "grassroots_events_duplicate_total", "Redelivered events skipped by dedupe", ["consumer"]
)
DEAD_LETTERS = Counter(
    "grassroots_dead_letters_total", "Messages sent to the dead-letter topic", ["consumer"]
)
CONSUMER_LAG = Gauge(
    "grassroots_consumer_lag",
    "Messages behind the partition's end",
    ["consumer", "topic", "partition"],
)
