"""views of the volunteering service."""
