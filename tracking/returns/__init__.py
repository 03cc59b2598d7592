"""Returns, exchanges and warranty claims: policy (pure), state machine (a table), services."""
