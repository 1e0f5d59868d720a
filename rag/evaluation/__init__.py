"""Question sets, metrics and reports of `rag eval`."""
