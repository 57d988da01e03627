"""domain of the volunteering service."""
