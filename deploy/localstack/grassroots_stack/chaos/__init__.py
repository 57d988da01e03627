"""`grassroots chaos`: bounded faults against the running local stack while the county mix
runs, then a check that every accepted command's effects are in every read model once.

faults.py     kill and restart a service, Kafka or PostgreSQL; re-deliver a topic
poison.py     malformed and oversized records on the real topics, and dead-letter counts
groups.py     the stack's consumer groups, and waiting until they have read everything
stores.py     the writers' stored events a ledger of accepted commands touches
effects.py    which read models an accepted command must reach (the data of the check)
probes.py     from a command to its stored event, and from that to each read model's probe
checker.py    found / lost / duplicated per command
totals.py     rows each read model gained against the events stored meanwhile
scenarios.py  the scenarios and how hard the load runs around them
trial.py      one trial of a scenario: load, fault, catch-up, check, one row of results
run.py        the command: the scenarios one after another
report.py     the table, bench/results/chaos.json and chaos.md
"""
