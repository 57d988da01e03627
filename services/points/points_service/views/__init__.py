"""views of the points service."""
