"""Grassroots' public event contracts.

What outside agencies and the other services may rely on: event models, topic
names and the CloudEvents envelope. Pure data: nothing here does I/O.
"""
