"""Carrier sync: worker rounds, storing results and the hooks that follow an update."""
