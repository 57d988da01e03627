"""One module per read model: its tables, its projector and its queries."""
