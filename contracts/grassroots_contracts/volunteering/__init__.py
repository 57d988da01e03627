"""Public events of the volunteering service (topic grassroots.volunteering.events)."""
