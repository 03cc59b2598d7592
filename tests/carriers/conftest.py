"""Pin the clock the Japanese parsers use to infer missing years, so fixtures stay valid."""

from datetime import datetime

import pytest

from carriers.japan import dates as jp_dates

FIXED_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=jp_dates.JST)


@pytest.fixture(autouse=True)
def _jp_fixed_clock(monkeypatch):
    monkeypatch.setattr(jp_dates, "now_jst", lambda: FIXED_NOW)
