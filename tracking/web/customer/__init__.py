"""The customer side: the site (health check, landing page, logo), the tracking page and what it
posts to, the returns desk and the unsubscribe link. It imports nothing of the staff side, the API
or the hooks (import-linter's independence contract, pyproject.toml)."""
