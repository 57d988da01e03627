"""Grassroots' shared event-sourcing runtime.

Envelope codec, event store (PostgreSQL and in-memory), outbox relay, idempotent
consumer, identity, HTTP plumbing, settings, logs, health and metrics. Services
import from here and from `grassroots_contracts`, never from each other.
"""
