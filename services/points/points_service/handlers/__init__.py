"""handlers of the points service."""
