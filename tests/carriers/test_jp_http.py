"""fetch() of the Japanese adapters against a mocked network (``responses``)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
import responses
from responses import matchers

import carriers
from carriers import RateLimited, Unavailable, http
from carriers.japan import base as jp_base
from carriers.numbers import mod7_complete

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
YAMATO_CGI = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko"


@pytest.fixture(autouse=True)
def _no_waiting(monkeypatch):
    """Record the politeness sleeps instead of sleeping (also the retry backoff in http)."""
    slept: list[float] = []
    monkeypatch.setattr(jp_base, "_sleep", slept.append)
    monkeypatch.setattr(http.time, "sleep", lambda _s: None)
    jp_base._last_request.clear()
    return slept


def _numbers(n):
    return [mod7_complete(f"{44441375000 + i:011d}") for i in range(n)]


@responses.activate
def test_yamato_posts_the_form_in_batches_of_ten():
    numbers = _numbers(12)
    first = {"number00": "1", "category": "0"}
    first.update({f"number{i:02d}": n for i, n in enumerate(numbers[:10], start=1)})
    second = {"number00": "1", "category": "0", "number01": numbers[10], "number02": numbers[11]}
    responses.post(
        YAMATO_CGI, body=b"<html>page1</html>", match=[matchers.urlencoded_params_matcher(first)]
    )
    responses.post(
        YAMATO_CGI, body=b"<html>page2</html>", match=[matchers.urlencoded_params_matcher(second)]
    )
    bodies = carriers.get("yamato").fetch(numbers)
    assert [bodies[n] for n in numbers] == [b"<html>page1</html>"] * 10 + [
        b"<html>page2</html>"
    ] * 2
    assert len(responses.calls) == 2
    assert "Todoku" in responses.calls[0].request.headers["User-Agent"]


@responses.activate
def test_yamato_multi_number_page_parses_per_number():
    page = (FIXTURES / "yamato" / "multi.html").read_bytes()
    responses.post(YAMATO_CGI, body=page)
    adapter = carriers.get("yamato")
    numbers = ["444413752005", "444413752020"]
    bodies = adapter.fetch(numbers)
    assert adapter.parse(bodies[numbers[0]], numbers[0]).status is carriers.Status.DELIVERED
    assert adapter.parse(bodies[numbers[1]], numbers[1]).status is carriers.Status.IN_TRANSIT


@pytest.mark.parametrize(
    ("code", "number", "url"),
    [
        (
            "sagawa",
            "512547514334",
            "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=512547514334",
        ),
        (
            "japanpost",
            "EG725089303JP",
            "https://trackings.post.japanpost.jp/services/srv/search/direct"
            "?reqCodeNo1=EG725089303JP&searchKind=S002&locale=ja",
        ),
        ("seino", "1234567890", "https://track.seino.co.jp/cgi-bin/gnpquery.pgm?GNPNO1=1234567890"),
        (
            "fukuyama",
            "30012345000",
            "https://corp.fukutsu.co.jp/situation/tracking_no_hunt/30012345000",
        ),
    ],
)
@responses.activate
def test_get_adapters_request_the_public_page(code, number, url):
    responses.get(
        url, body=b"<html></html>", match=[matchers.query_string_matcher(url.partition("?")[2])]
    )
    assert carriers.get(code).fetch([number]) == {number: b"<html></html>"}
    assert responses.calls[0].request.method == "GET"


@responses.activate
def test_shift_jis_body_passes_through_as_bytes():
    body = (FIXTURES / "seino" / "delivered.html").read_bytes()
    number = "1234567004"
    responses.get(
        "https://track.seino.co.jp/cgi-bin/gnpquery.pgm",
        body=body,
        content_type="text/html; charset=Shift_JIS",
    )
    adapter = carriers.get("seino")
    fetched = adapter.fetch([number])[number]
    assert fetched == body  # untouched bytes: decoding is the parser's job
    assert "配達完了".encode("shift_jis") in fetched
    assert adapter.parse(fetched, number).status is carriers.Status.DELIVERED


@pytest.mark.parametrize("code", ["yamato", "sagawa", "japanpost", "seino", "fukuyama"])
@responses.activate
def test_5xx_is_unavailable(code):
    responses.add(
        responses.Response(
            method="POST" if code == "yamato" else "GET", url=_any_url(code), status=503
        )
    )
    with pytest.raises(Unavailable):
        carriers.get(code).fetch([_number(code)])


@responses.activate
def test_get_is_retried_once_but_post_is_not():
    responses.get(_any_url("sagawa"), status=502)
    with pytest.raises(Unavailable):
        carriers.get("sagawa").fetch(["512547514334"])
    assert len(responses.calls) == 2  # idempotent GET: one retry
    responses.post(YAMATO_CGI, status=502)
    with pytest.raises(Unavailable):
        carriers.get("yamato").fetch(["444413758703"])
    assert len(responses.calls) == 3  # POST: no retry


@pytest.mark.parametrize("code", ["yamato", "sagawa", "japanpost", "seino", "fukuyama"])
@responses.activate
def test_timeout_is_unavailable(code):
    responses.add(
        responses.Response(
            method="POST" if code == "yamato" else "GET",
            url=_any_url(code),
            body=requests.ConnectTimeout("slow"),
        )
    )
    with pytest.raises(Unavailable):
        carriers.get(code).fetch([_number(code)])


@pytest.mark.parametrize("code", ["yamato", "sagawa", "japanpost", "seino", "fukuyama"])
@responses.activate
def test_429_is_rate_limited_with_retry_after(code):
    responses.add(
        responses.Response(
            method="POST" if code == "yamato" else "GET",
            url=_any_url(code),
            status=429,
            headers={"Retry-After": "120"},
        )
    )
    with pytest.raises(RateLimited) as info:
        carriers.get(code).fetch([_number(code)])
    assert info.value.retry_after == 120


@responses.activate
def test_requests_to_one_carrier_are_spaced_by_min_interval(_no_waiting):
    responses.get(_any_url("sagawa"), body=b"<html></html>")
    adapter = carriers.get("sagawa")
    assert adapter.min_interval == 1.0
    adapter.fetch(["512547514334", "512547514345"])
    assert len(_no_waiting) == 1 and 0 < _no_waiting[0] <= 1.0


def test_every_jp_adapter_declares_politeness_and_names():
    for code in ("yamato", "sagawa", "japanpost", "seino", "fukuyama"):
        adapter = carriers.get(code)
        assert adapter.min_interval >= 1.0
        assert set(adapter.names) == {"ja", "en"}
        assert adapter.tracking_url("1234567890").startswith("https://")
    assert carriers.get("yamato").batch_size == 10
    for code in ("yamato", "sagawa", "japanpost"):
        assert carriers.get(code).redelivery_url("444413758703").startswith("https://")
    for code in ("seino", "fukuyama"):
        assert carriers.get(code).redelivery_url("1234567890") is None


def _any_url(code):
    import re

    base = {
        "yamato": YAMATO_CGI,
        "sagawa": "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do",
        "japanpost": "https://trackings.post.japanpost.jp/services/srv/search/direct",
        "seino": "https://track.seino.co.jp/cgi-bin/gnpquery.pgm",
        "fukuyama": "https://corp.fukutsu.co.jp/situation/tracking_no_hunt/",
    }[code]
    return re.compile(re.escape(base) + ".*")


def _number(code):
    return {"seino": "1234567890", "fukuyama": "30012345000"}.get(code, "444413758703")


def test_shift_jis_pages_with_windows_31j_characters_decode():
    # ㈱ and ① exist only in cp932, the Shift_JIS variant real pages use.
    body = (FIXTURES / "seino" / "delivered.html").read_bytes()
    body = body.replace("名古屋支店".encode("cp932"), "㈱名古屋①支店".encode("cp932"))
    result = carriers.get("seino").parse(body, "1234567004")
    assert result.events[0].location == "㈱名古屋①支店"
