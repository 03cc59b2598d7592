"""Watching Todoku run: Prometheus metrics (``metrics``) and log lines (``logs``).

Infrastructure: every feature may record into it, and it imports no feature. What the
database holds (outbox depth, the oldest due parcel, import jobs) is read at scrape time by
the features' own reading functions, which the ``/metrics`` view passes in."""
