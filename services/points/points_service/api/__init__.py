"""api of the points service."""
