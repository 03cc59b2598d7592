"""Pin the clock the Japanese parsers use to infer missing years, so fixtures stay valid."""

from datetime import datetime

import pytest

from carriers.japan import rules as jp_rules

FIXED_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=jp_rules.JST)


@pytest.fixture(autouse=True)
def _jp_fixed_clock(monkeypatch):
    monkeypatch.setattr(jp_rules, "now_jst", lambda: FIXED_NOW)
