"""Load for the local stack: the county mix sent open-loop (mix.py), what it acts on
(fixtures.py), the county it finds (county.py) and a cheap HTTP client (wire.py)."""
