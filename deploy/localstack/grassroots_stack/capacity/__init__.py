"""`grassroots capacity simulate`: province-scale synthetic events through the real
projection code into a PostgreSQL database of its own, with the figures docs/capacity.md
cites (bench/results/capacity.json)."""
