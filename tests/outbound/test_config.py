"""``[[webhooks]]`` in a brand file: each mistake is one line naming the key, in English and in
Japanese; https only in production (http allowed in development); the secret comes from the
environment only, and a missing or malformed one stops start-up with its line."""

from __future__ import annotations

import base64

import pytest

from tests.brands.test_check import GOOD, brand_dir, flask
from tests.support.webhooks import SECRET
from tracking.brands.brand import check_brand_file
from tracking.brands.problems import lines
from tracking.outbound import signing
from tracking.outbound.config import WebhookEndpoint

HOOK = '[[webhooks]]\nurl = "{url}"\nevents = {events}\nsecret_env = "{env}"\n'


def webhook(url="https://hooks.demo.example/todoku", events='"all"', env="DEMO_HOOK_SECRET"):
    return HOOK.format(url=url, events=events, env=env)


def problems(tmp_path, text: str, production: bool = False, lang: str = "en") -> list[str]:
    directory = brand_dir(tmp_path / f"{production}-{lang}", text)
    brand, found = check_brand_file(directory / "demo-shop.toml", production=production)
    return lines(found, lang)


def test_a_good_endpoint_is_read(tmp_path):
    directory = brand_dir(tmp_path, GOOD + webhook(events='["parcel.shipped", "order.late"]'))
    brand, found = check_brand_file(directory / "demo-shop.toml", production=True)
    assert found == []
    (endpoint,) = brand.webhooks
    assert endpoint.wants("parcel.shipped") and not endpoint.wants("parcel.delivered")
    assert endpoint.secret_env == "DEMO_HOOK_SECRET"


def test_http_is_allowed_in_development_and_refused_in_production(tmp_path):
    text = GOOD + webhook(url="http://127.0.0.1:5678/webhook/todoku")
    assert problems(tmp_path, text) == []
    (line,) = problems(tmp_path, text, production=True)
    assert "webhooks.0.url" in line and "https only in production" in line
    (ja,) = problems(tmp_path, text, production=True, lang="ja")
    assert "webhooks.0.url" in ja and "本番環境" in ja and "https" in ja


@pytest.mark.parametrize(
    "hook, key, english, japanese",
    [
        (webhook(url="ftp://x.example/h"), "webhooks.0.url", "is not a web address", "Web"),
        (webhook(url="https://u:p@x.example/h"), "webhooks.0.url", "user name", "ユーザー名"),
        (webhook(events='["parcel.shiped"]'), "webhooks.0.events", "unknown event type", "種類"),
        (webhook(events="[]"), "webhooks.0.events", 'events = "all"', 'events = "all"'),
        (webhook(events="5"), "webhooks.0.events", 'events = "all"', 'events = "all"'),
        (webhook(events='"some"'), "webhooks.0.events", 'events = "all"', 'events = "all"'),
        (webhook(env="whsec_abc"), "webhooks.0.secret_env", "expected form", "形"),
        (webhook() + webhook(), "webhooks", "listed twice", "2"),
        (webhook() + 'secrett = "x"\n', "webhooks.0.secrett", "unknown key", "不明な項目"),
    ],
)
def test_each_mistake_is_one_line_in_english_and_japanese(tmp_path, hook, key, english, japanese):
    (line,) = problems(tmp_path, GOOD + hook)
    assert f"demo-shop.toml: {key}: " in line and english in line, line
    (ja,) = problems(tmp_path, GOOD + hook, lang="ja")
    assert f"demo-shop.toml: {key}: " in ja and japanese in ja, ja
    assert ja != line


def test_secrets_are_checked_at_start_up_in_the_staff_language(app):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    hooked = brand.model_copy(
        update={"webhooks": [WebhookEndpoint(url="https://a.example/h", secret_env="A_SECRET")]}
    )
    brands = {"sakura-tea": hooked}
    assert signing.check_brands(brands, {"A_SECRET": SECRET}) == []
    (missing,) = signing.check_brands(brands, {}, lang="en")
    assert "webhooks.0.secret_env" in missing and "$A_SECRET is not set" in missing
    (ja,) = signing.check_brands(brands, {}, lang="ja")
    assert "$A_SECRET" in ja and "設定されていません" in ja
    short = "whsec_" + base64.b64encode(b"x" * 8).decode()
    (bad,) = signing.check_brands(brands, {"A_SECRET": short}, lang="en")
    assert "holds 8 bytes" in bad


def test_brands_check_in_production_refuses_http_and_a_missing_secret(tmp_path):
    directory = brand_dir(tmp_path, GOOD + webhook(url="http://hooks.demo.example/todoku"))
    production = {
        "TODOKU_ENV": "production",
        "SECRET_KEY": "k" * 40,
        "TODOKU_BASE_URL": "https://track.demo.example",
    }
    run = flask(tmp_path, directory, "brands", "check", env=production)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and "Traceback" not in out
    assert "webhooks.0.url" in out and "https only in production" in out, out
    # https, but the secret is not in the environment: start-up (and so the check) refuses
    directory = brand_dir(tmp_path / "2", GOOD + webhook())
    run = flask(tmp_path, directory, "brands", "check", lang="ja_JP.UTF-8", env=production)
    out = run.stdout + run.stderr
    assert run.returncode == 1 and "Traceback" not in out
    assert "$DEMO_HOOK_SECRET" in out and "設定されていません" in out, out
    run = flask(
        tmp_path, directory, "brands", "check", env=production | {"DEMO_HOOK_SECRET": SECRET}
    )
    assert run.returncode == 0, run.stdout + run.stderr
