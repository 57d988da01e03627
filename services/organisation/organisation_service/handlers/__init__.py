"""Command handlers: authorise, load, decide, append. One module per aggregate family."""
