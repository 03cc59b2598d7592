"""Limits that hold, probed as an attacker would: guesses at one order's contact from many
addresses, wrong passwords for one staff account from many addresses, made-up API keys, and
the same lookups spread over two real gunicorn workers sharing Redis. Every 429 says when to
come back (``Retry-After``) in the page's language or as the API's JSON error.

The unit tests use the in-memory limiter storage each test app gets (tests/conftest.py); the
two-worker test runs the Procfile's ``web`` command against the test Redis database."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from sqlmodel import select

from tests.factories import make_staff
from tests.support.server import free_port, serving
from tests.test_production_path import procfile
from tracking.config import ConfigError, shared_limits_problem
from tracking.mail.models import Notification
from tracking.operations.gunicorn_conf import on_starting
from tracking.staff.api_keys import create_api_key
from tracking.timeutil import utcnow

ROOT = Path(__file__).resolve().parents[2]
WRONG = "definitely-not-the-password"


def lookup(client, number, contact, ip, brand="sakura-tea", **kwargs):
    return client.post(
        f"/{brand}/lookup",
        data={"number": number, "contact": contact},
        environ_base={"REMOTE_ADDR": ip},
        **kwargs,
    )


def retry_after(response) -> int:
    assert "Retry-After" in response.headers, dict(response.headers)
    return int(response.headers["Retry-After"])


# --- lookups: per address, and failed ones per order number from any address ---------------


def test_failed_lookups_of_one_order_are_limited_across_addresses(app, client, demo):
    app.config["LOOKUP_ORDER_RATE_LIMIT"] = "3 per hour"
    # Each guess from a new address: the per-address limit never comes into play.
    codes = [lookup(client, "ST-1001", f"guess{i}@x.jp", f"198.51.100.{i}") for i in range(3)]
    assert [r.status_code for r in codes] == [404, 404, 404]
    # Written another way, the number is still the same number.
    refused = lookup(client, " st-1001", "guess9@x.jp", "198.51.100.9")
    assert refused.status_code == 429
    assert 3000 < retry_after(refused) <= 3600  # the hour's window
    # Full, the number is refused even with the right contact: no 429-or-success oracle.
    right = lookup(client, "ST-1001", "hanako@example.com", "203.0.113.7")
    assert right.status_code == 429
    page = right.get_data(as_text=True)
    assert "分ほど待ってからもう一度お試しください" in page  # sakura-tea's language
    # Another order of the shop keeps its own count.
    assert lookup(client, "ST-1002", "guess@x.jp", "198.51.100.10").status_code == 404


def test_successful_lookups_do_not_count_against_the_order(app, client, demo):
    app.config["LOOKUP_ORDER_RATE_LIMIT"] = "2 per hour"
    for i in range(4):
        r = lookup(client, "ST-1001", "hanako@example.com", f"198.51.100.{i}")
        assert r.status_code == 303
    assert lookup(client, "ST-1001", "wrong@x.jp", "198.51.100.20").status_code == 404
    assert lookup(client, "ST-1001", "hanako@example.com", "198.51.100.21").status_code == 303


def test_lookups_from_one_address_are_limited_with_retry_after_in_english(app, client, demo):
    app.config["LOOKUP_RATE_LIMIT"] = "2 per minute"
    ip = "198.51.100.50"
    for _ in range(2):
        assert lookup(client, "NP-1", "a@b.c", ip, brand="northpeak").status_code == 404
    r = lookup(client, "NP-2", "a@b.c", ip, brand="northpeak")
    assert r.status_code == 429
    assert 0 < retry_after(r) <= 60
    page = r.get_data(as_text=True)
    assert '<html lang="en"' in page and "Too many attempts" in page
    assert "Please wait a minute before trying again." in page
    # Another address is not held back by this one.
    assert lookup(client, "NP-2", "a@b.c", "198.51.100.51", brand="northpeak").status_code == 404


# --- staff sign-in: per address, and wrong passwords per account from any address -----------


def sign_in(client, email, password, ip):
    return client.post(
        "/admin/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def same_page(response) -> str:
    """The page without what differs on every answer (the CSP nonce, the CSRF token's time)."""
    html = response.get_data(as_text=True)
    html = re.sub(r'nonce="[^"]*"', 'nonce=""', html)
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', html)


def lockout_mails(session) -> list[Notification]:
    session.expire_all()
    return list(session.exec(select(Notification).where(Notification.kind == "staff_lockout")))


@pytest.fixture
def account(app, session):
    app.config["STAFF_LOCKOUT_LIMIT"] = "3 per 15 minutes"
    return make_staff(session, "sakura-tea", email="keeper@sakura-tea.example")


def test_wrong_passwords_from_many_addresses_lock_the_account_and_mail_its_owner(
    client, session, account
):
    from tests.factories import STAFF_PASSWORD

    wrong = [sign_in(client, account.email, WRONG, f"192.0.2.{i}") for i in range(3)]
    assert [r.status_code for r in wrong] == [401, 401, 401]
    assert client.get("/admin/").status_code == 302  # nobody signed in
    # Locked: the right password gets the very page a wrong one gets.
    locked = sign_in(client, account.email, STAFF_PASSWORD, "203.0.113.9")
    assert locked.status_code == wrong[-1].status_code == 401
    assert same_page(locked) == same_page(wrong[-1])
    # The same headers too (their per-address counters aside: another address sent it).
    assert sorted(locked.headers.keys()) == sorted(wrong[-1].headers.keys())
    assert client.get("/admin/").status_code == 302
    # One notice, to the account, in the shop's language, naming the last address.
    mails = lockout_mails(session)
    assert len(mails) == 1
    mail = mails[0]
    assert mail.to_address == account.email and mail.brand == "sakura-tea"
    assert mail.locale == "ja" and "ロック" in mail.subject
    assert "192.0.2.2" in mail.body_text and "3 回" in mail.body_text
    # More wrong passwords while locked send nothing more.
    sign_in(client, account.email, WRONG, "192.0.2.40")
    assert len(lockout_mails(session)) == 1
    # The window over, the right password works again.
    with time_machine.travel(utcnow().timestamp() + 16 * 60, tick=False):
        ok = sign_in(client, account.email, STAFF_PASSWORD, "203.0.113.9")
    assert ok.status_code == 303


def test_a_right_password_clears_the_count(client, session, account):
    from tests.factories import STAFF_PASSWORD

    for _ in range(2):
        assert sign_in(client, account.email, WRONG, "192.0.2.1").status_code == 401
    assert sign_in(client, account.email, STAFF_PASSWORD, "192.0.2.1").status_code == 303
    client.post("/admin/logout")
    for _ in range(2):
        assert sign_in(client, account.email, WRONG, "192.0.2.1").status_code == 401
    assert sign_in(client, account.email, STAFF_PASSWORD, "192.0.2.1").status_code == 303
    assert lockout_mails(session) == []


def test_an_unknown_or_switched_off_account_locks_without_a_mail(app, client, session, account):
    account.active = False
    session.add(account)
    session.commit()
    for email in ("nobody@sakura-tea.example", account.email):
        codes = {sign_in(client, email, WRONG, "192.0.2.7").status_code for _ in range(4)}
        assert codes == {401}
    assert lockout_mails(session) == []


def test_sign_ins_from_one_address_are_limited_with_retry_after(app, client, session):
    app.config["STAFF_LOGIN_RATE_LIMIT"] = "2 per minute"
    for i in range(2):
        assert sign_in(client, f"a{i}@x.jp", WRONG, "192.0.2.99").status_code == 401
    r = sign_in(client, "a9@x.jp", WRONG, "192.0.2.99")
    assert r.status_code == 429 and 0 < retry_after(r) <= 60


# --- API: keyed on the verified key; on the address without one ------------------------------


def api_get(client, key: str, ip: str = "198.51.100.77"):
    return client.get(
        "/api/v1/orders?limit=1",
        headers={"Authorization": f"Bearer {key}"},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_made_up_keys_count_against_the_callers_address(app, client, session):
    app.config["API_ANONYMOUS_RATE_LIMIT"] = "3 per minute"
    # A fresh made-up prefix each time: limited all the same.
    made_up = [api_get(client, f"tdk_fake{i:04d}_{'x' * 40}") for i in range(4)]
    assert [r.status_code for r in made_up] == [401, 401, 401, 429]
    refused = made_up[-1]
    assert refused.json["error"]["code"] == "rate_limited"
    assert 0 < retry_after(refused) <= 60
    # No key at all counts there too; another address has its own budget.
    assert api_get(client, "").status_code == 429
    assert api_get(client, "", ip="198.51.100.78").status_code == 401


def test_the_limit_counts_the_verified_key_not_its_prefix(app, client, session):
    app.config["API_RATE_LIMIT"] = "2 per minute"
    app.config["API_ANONYMOUS_RATE_LIMIT"] = "2 per minute"
    with app.app_context():
        key = create_api_key(session, "sakura-tea", "wms")
    prefix = key.split("_")[1]
    forged = f"tdk_{prefix}_{'y' * 43}"  # the real prefix, a wrong secret
    assert [api_get(client, forged).status_code for _ in range(3)] == [401, 401, 429]
    # The forger used up their address's budget, not the key's: its owner is still served,
    # from the same address too.
    assert [api_get(client, key).status_code for _ in range(2)] == [200, 200]
    r = api_get(client, key, ip="203.0.113.50")
    assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
    assert 0 < retry_after(r) <= 60


# --- start-up: several workers need shared storage --------------------------------------------


def fake_server(workers: int):
    warnings: list[str] = []
    log = SimpleNamespace(warning=lambda msg, *args: warnings.append(msg % args))
    return SimpleNamespace(cfg=SimpleNamespace(workers=workers), log=log), warnings


def test_shared_limits_problem_names_what_to_set():
    assert shared_limits_problem(1, {}) is None
    assert shared_limits_problem(2, {"REDIS_URL": "redis://r:6379/0"}) is None
    problem = shared_limits_problem(2, {})
    assert "REDIS_URL" in problem and "WEB_CONCURRENCY=1" in problem


def test_on_starting_refuses_in_production_and_warns_in_development(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("TODOKU_ENV", "production")
    server, warnings = fake_server(2)
    with pytest.raises(ConfigError, match="REDIS_URL"):
        on_starting(server)
    on_starting(fake_server(1)[0])  # one worker counts alone, correctly
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    on_starting(server)
    monkeypatch.delenv("REDIS_URL")
    monkeypatch.setenv("TODOKU_ENV", "development")
    on_starting(server)
    assert len(warnings) == 1 and "REDIS_URL" in warnings[0]


def web_env(tmp_path, port: int, database_url: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TODOKU_", "FLASK_"))}
    for name in ("REDIS_URL", "BRANDS_DIR", "WEB_CONCURRENCY", "GUNICORN_CMD_ARGS"):
        env.pop(name, None)
    env.update(
        PATH=os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")]),
        PORT=str(port),
        TODOKU_ENV="production",
        TODOKU_BASE_URL=f"http://127.0.0.1:{port}",
        SECRET_KEY="limits-test-" + "x" * 40,
        DATABASE_URL=database_url,
        TODOKU_INSTANCE_PATH=str(tmp_path / "instance"),
        TODOKU_DEMO="1",  # the limits are tried on the demo shops' lookup
        **extra,
    )
    return env


def test_production_refuses_two_workers_without_redis(tmp_path, database_url):
    env = web_env(tmp_path, free_port(), database_url, WEB_CONCURRENCY="2")
    web = subprocess.run(
        procfile()["web"], shell=True, cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert web.returncode != 0
    err = web.stderr.decode()
    assert "REDIS_URL" in err and "2 web workers" in err
    assert "Booting worker" not in err  # refused before any worker started


class Browser:
    """Just enough of one: the session cookie (sent by hand, since production marks it
    Secure and the test speaks plain HTTP) and the form's CSRF token."""

    def __init__(self, base: str):
        self.base = base
        with urllib.request.urlopen(f"{base}/sakura-tea/", timeout=5) as r:
            cookie = SimpleCookie(r.headers["Set-Cookie"])
            html = r.read().decode()
        self.cookie = "; ".join(f"{k}={m.value}" for k, m in cookie.items())
        self.token = html.split('name="csrf_token" value="')[1].split('"')[0]

    def lookup(self, number: str, contact: str) -> tuple[int, dict]:
        data = urllib.parse.urlencode(
            {"number": number, "contact": contact, "csrf_token": self.token}
        ).encode()
        request = urllib.request.Request(
            f"{self.base}/sakura-tea/lookup", data=data, headers={"Cookie": self.cookie}
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as r:
                return r.status, dict(r.headers)
        except urllib.error.HTTPError as answer:
            return answer.code, dict(answer.headers)


def test_the_lookup_limit_holds_across_two_gunicorn_workers(tmp_path, database_url, redis_url):
    import redis

    try:
        redis.Redis.from_url(redis_url).flushdb()
    except redis.ConnectionError:
        pytest.skip("no local Redis")
    # Two gunicorn servers of one worker each, sharing Redis, asked in turn: which worker of
    # one server accepts a connection is the kernel's choice, but here every other request is
    # certainly answered by the other process (as behind a load balancer with two hosts).
    with contextlib.ExitStack() as stack:
        bases = []
        for name in ("one", "two"):
            port = free_port()
            env = web_env(tmp_path / name, port, database_url, REDIS_URL=redis_url)
            env["WEB_CONCURRENCY"] = "1"
            log = tmp_path / f"{name}.log"
            bases.append(
                stack.enter_context(
                    serving(procfile()["web"], port=port, cwd=ROOT, env=env, log=log)
                )
            )
        stack.callback(lambda: redis.Redis.from_url(redis_url).flushdb())
        browsers = [Browser(base) for base in bases]
        answers = [browsers[i % 2].lookup(f"ST-{9000 + i}", "guess@example.com") for i in range(20)]
    codes = [status for status, _headers in answers]
    # LOOKUP_RATE_LIMIT's default, 10 a minute per address: the 11th is refused, and every
    # one after it, although each process saw only half of them (10 each: alone, none would
    # have been refused).
    assert codes == [404] * 10 + [429] * 10, codes
    assert all(0 < int(headers["Retry-After"]) <= 60 for _s, headers in answers[10:])


def test_an_app_with_limits_off_leaves_the_next_app_limited(app_config, demo):
    """The one Limiter keeps the last app's "enabled" as its default: an app built with
    limits off (the form fuzzers) must not switch them off for the apps after it."""
    from app import create_app

    create_app({**app_config, "RATELIMIT_ENABLED": False})
    later = create_app({**app_config, "LOOKUP_RATE_LIMIT": "1 per minute"})
    client = later.test_client()
    assert lookup(client, "ST-1", "a@b.c", "198.51.100.60").status_code == 404
    assert lookup(client, "ST-1", "a@b.c", "198.51.100.60").status_code == 429
