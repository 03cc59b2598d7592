"""The worker's part of an admin import, for tests: run the import jobs that are due, as the
worker does between rounds (``tracking.orders.imports.jobs.run_pending``)."""

from __future__ import annotations

from tracking.orders.imports import jobs


def run_imports(app, worker: str = "test-worker") -> int:
    """Run every due import job in ``app``; returns how many ran."""
    with app.app_context():
        return jobs.run_pending(app, worker)
