"""handlers of the volunteering service."""
