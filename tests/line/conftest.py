"""LINE tests: the demo brands with a ``[line]`` section on sakura-tea (and on northpeak, with
another channel, for the isolation tests), channels in the config and a local fake LINE."""

from __future__ import annotations

import itertools
import json
import shutil

import pytest

from tests.support import ROOT
from tests.support.fake_line import fake_line
from tracking.line.events import signature

SECRET = "sakura-channel-secret"
NORTH_SECRET = "northpeak-channel-secret"
CHANNELS = {
    "SAKURA_TEA": {"secret": SECRET, "token": "sakura-token"},
    "NORTHPEAK": {"secret": NORTH_SECRET, "token": "north-token"},
}


def line_brands(tmp_path, sakura: str = "", north: str = ""):
    target = tmp_path / "brands-line"
    shutil.copytree(ROOT / "brands", target)
    for slug, extra, basic in (("sakura-tea", sakura, "@sakura"), ("northpeak", north, "@north")):
        path = target / f"{slug}.toml"
        text = path.read_text(encoding="utf-8")
        path.write_text(text + f'\n[line]\nbasic_id = "{basic}"\n{extra}', encoding="utf-8")
    return target


@pytest.fixture
def line_api():
    with fake_line() as fake:
        yield fake


@pytest.fixture
def line_extra() -> dict:
    """``[line]`` keys per brand for a test module to change (``{"sakura-tea": "…"}``)."""
    return {}


@pytest.fixture
def app_config(app_config, tmp_path, line_api, line_extra):
    brands = line_brands(
        tmp_path, line_extra.get("sakura-tea", ""), line_extra.get("northpeak", "")
    )
    return {
        **app_config,
        "BRANDS_DIR": str(brands),
        "LINE_CHANNELS": CHANNELS,
        "LINE_API_URL": line_api.url,
    }


def signed(body: dict | bytes, secret: str = SECRET) -> tuple[bytes, dict]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"X-Line-Signature": signature(secret, raw), "Content-Type": "application/json"}


_ids = itertools.count(1)


def event(kind: str, user: str = "U" + "a" * 32, event_id: str | None = None, **extra) -> dict:
    data = {
        "type": kind,
        "mode": "active",
        "timestamp": 1765000000000,
        "source": {"type": "user", "userId": user},
        "webhookEventId": event_id or f"01JEVENT{next(_ids):018d}",
        "deliveryContext": {"isRedelivery": False},
        **extra,
    }
    if kind in ("message", "postback", "follow"):
        data.setdefault("replyToken", "reply-" + data["webhookEventId"])
    return data


def text_event(text: str, **kw) -> dict:
    return event("message", message={"type": "text", "id": "1", "text": text}, **kw)
