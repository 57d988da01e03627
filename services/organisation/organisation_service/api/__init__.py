"""HTTP routes of the organisation service, one router per part of the domain."""
