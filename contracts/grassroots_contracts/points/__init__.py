"""Public events of the points service (topic grassroots.points.events)."""
