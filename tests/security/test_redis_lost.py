"""Redis lost (the rate limits' shared storage): pages keep being served, never a 500. The
limits go on in each process's memory (weaker: per process) until Redis answers again, and so
do the staff sign-in failure counts. The failover drill (tests/operations/test_failover.py, in
`make scale`) does the same to real gunicorn processes by cutting a proxy in front of Redis."""

from __future__ import annotations

import pytest

from tests.factories import STAFF_PASSWORD, make_staff
from tests.security.test_limits import lookup, sign_in
from tests.support.server import free_port
from tracking import extensions
from tracking.extensions import limiter

WRONG = "definitely-not-the-password"


@pytest.fixture
def lost_redis_app(app_config):
    from app import create_app

    dead = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    app = create_app({**app_config, "REDIS_URL": dead, "RATELIMIT_STORAGE_URI": dead})
    assert app.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"]
    yield app
    engine = app.extensions.get("todoku_engine")
    if engine is not None:
        engine.dispose()
    # Flask-Limiter keeps "storage dead" on its one process-wide object, and a new app does
    # not reset it: the next test's app would count in the fallback memory.
    limiter._storage_dead = False
    extensions._memory.reset()  # the failure counts kept meanwhile


def test_lookups_are_answered_and_limited_per_process_without_redis(lost_redis_app):
    lost_redis_app.config["LOOKUP_RATE_LIMIT"] = "3 per minute"
    client = lost_redis_app.test_client()
    codes = [
        lookup(client, f"ST-{i}", "x@example.jp", "198.51.100.3").status_code for i in range(5)
    ]
    assert codes == [404, 404, 404, 429, 429]
    assert client.get("/sakura-tea/").status_code == 200


def test_staff_failures_are_counted_in_memory_without_redis(lost_redis_app, session):
    lost_redis_app.config["STAFF_LOCKOUT_LIMIT"] = "2 per 15 minutes"
    account = make_staff(session, "sakura-tea", email="keeper@sakura-tea.example")
    client = lost_redis_app.test_client()
    wrong = [sign_in(client, account.email, WRONG, f"192.0.2.{i}").status_code for i in range(2)]
    assert wrong == [401, 401]
    # Locked (counted in this process's memory): the right password is refused too.
    assert sign_in(client, account.email, STAFF_PASSWORD, "203.0.113.9").status_code == 401
