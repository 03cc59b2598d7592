"""Orders: the rows, finding an order (lookup) and getting orders in (intake)."""
