"""The organisation service: the county's source of truth for who is responsible for what."""
