"""api of the volunteering service."""
