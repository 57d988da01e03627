"""The Dong'an demo: deterministic data, loaded through the public HTTP API only."""
