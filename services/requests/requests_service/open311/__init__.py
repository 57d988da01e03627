"""open311 of the requests service."""
