"""domain of the points service."""
