"""`grassroots chaos`: bounded faults against the running local stack while the county mix
runs, then a check that every accepted command's effects are in every read model once.

faults.py     kill and restart a service, Kafka or PostgreSQL; re-deliver a topic
poison.py     malformed and oversized records on the real topics, and dead-letter counts
groups.py     the stack's consumer groups, and waiting until they have read everything
effects.py    which read models an accepted command must reach, and how to see it there
checker.py    found / lost / duplicated per command, against the writers' event stores
scenarios.py  the scenarios, and one run of each
report.py     the table, bench/results/chaos.json and chaos.md
"""
