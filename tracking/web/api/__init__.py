"""The JSON API under ``/api/v1``: ``routes`` (the ``api`` blueprint), ``schemas`` (the answers'
pydantic models) and ``openapi`` (the document built from them). docs/api.md."""
