"""Staff of a brand: accounts, login sessions, API keys."""
