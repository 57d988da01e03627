"""Benchmarks: commands that print figures and write bench/results/, never timed tests."""
