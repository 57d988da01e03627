"""domain of the requests service."""
