"""The organisation's pure domain: commands, events, decide and evolve. No I/O."""
