"""The projections service: read models per community and the county overview."""
