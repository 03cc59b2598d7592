"""Running Todoku for a real shop: backup and restore (and, next to them, what an operator
needs to watch a running site)."""
