"""Replaying public topics into schemas of their own: rebuilds and "as of" snapshots."""
