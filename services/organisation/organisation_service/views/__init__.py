"""The organisation service's own read models, built from its public events."""
