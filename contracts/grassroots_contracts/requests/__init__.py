"""Public events of the requests service (topic grassroots.requests.events)."""
