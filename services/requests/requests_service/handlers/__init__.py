"""handlers of the requests service."""
