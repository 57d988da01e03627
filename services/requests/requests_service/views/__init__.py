"""views of the requests service."""
