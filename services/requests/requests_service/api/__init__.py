"""api of the requests service."""
