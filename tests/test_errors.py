"""Errors people see: an htmx form gets a short localized notice (its page and input stay), a
plain form gets the whole error page, the API and hooks get JSON."""

from __future__ import annotations

import re

import pytest

HX = {"HX-Request": "true"}
FEEDBACK = "/sakura-tea/o/not-a-token/feedback"
ASK = "/sakura-tea/o/not-a-token/ask"


@pytest.fixture
def bare_app(tmp_path):
    """An app whose errors happen before any query: no database is needed."""
    from app import create_app

    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.sqlite3'}",
            "SECRET_KEY": "test-secret-key",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            # Said outright: the shared limiter keeps "enabled" from the last app that set it.
            "RATELIMIT_ENABLED": True,
            "PROPAGATE_EXCEPTIONS": False,
        }
    )

    def broken():
        raise RuntimeError("a bug")

    app.add_url_rule("/sakura-tea/broken", "broken", broken, methods=["POST"])
    return app


def csrf_refused(app, client, headers):
    app.config["WTF_CSRF_ENABLED"] = True
    return client.post(FEEDBACK, data={"rating": "5"}, headers=headers)


def nul_refused(app, client, headers):
    return client.post(FEEDBACK, data={"rating": "5", "comment": "a\x00b"}, headers=headers)


def too_large(app, client, headers):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    return client.post(FEEDBACK, data={"comment": "x" * 2000}, headers=headers)


def rate_limited(app, client, headers):
    for _ in range(10):  # "ask the shop" takes 10 an hour per order link
        assert client.post(ASK, data={"message": "hi"}, headers=headers).status_code == 404
    return client.post(ASK, data={"message": "hi"}, headers=headers)


def server_error(app, client, headers):
    return client.post("/sakura-tea/broken", headers=headers)


# (how, status, code, {lang: (title, what to do next)})
CASES = [
    (
        csrf_refused,
        400,
        "csrf_failed",
        {
            "en": ("Your session has expired", "We have renewed it: please send the form again."),
            "ja": (
                "セッションの有効期限が切れました",
                "セッションを更新しました。もう一度送信してください。",
            ),
        },
    ),
    (
        nul_refused,
        400,
        "control_character",
        {
            "en": ("We could not read what was sent", "Please correct it and send it again."),
            "ja": ("送信内容を読み取れませんでした", "内容を直して、もう一度送信してください。"),
        },
    ),
    (
        too_large,
        413,
        "too_large",
        {
            "en": ("What you sent is too large", "(0 MB in all) and send again."),
            "ja": ("送信内容が大きすぎます", "（合計0 MBまで）、もう一度送信してください。"),
        },
    ),
    (
        rate_limited,
        429,
        "rate_limited",
        {
            "en": ("Too many attempts", "Please wait 60 minutes before trying again."),
            "ja": ("試行回数が多すぎます", "60分ほど待ってからもう一度お試しください。"),
        },
    ),
    (
        server_error,
        500,
        "internal_error",
        {
            "en": ("Something went wrong", "Please try again in a few minutes."),
            "ja": ("エラーが発生しました", "しばらくしてからもう一度お試しください。"),
        },
    ),
]


def notice_parts(body: str) -> dict:
    match = re.fullmatch(
        r'<div data-error-notice="(\d+)" '
        r'data-code="([a-z_]+)"[^>]*>\n<strong class="error-notice-title">([^<]*)</strong> '
        r'<span class="error-notice-message">([^<]*)</span>\n</div>',
        body.strip(),
    )
    assert match, body
    status, code, title, message = match.groups()
    return {"status": int(status), "code": code, "title": title, "message": message}


@pytest.mark.parametrize("lang", ["ja", "en"])
@pytest.mark.parametrize(
    ("how", "status", "code", "texts"), CASES, ids=[c[2] + "-" + str(c[1]) for c in CASES]
)
def test_an_htmx_form_gets_a_localized_notice_not_a_page(bare_app, lang, how, status, code, texts):
    client = bare_app.test_client()
    r = how(bare_app, client, {**HX, "Accept-Language": lang})
    assert r.status_code == status
    notice = notice_parts(r.get_data(as_text=True))
    title, next_step = texts[lang]
    assert (notice["status"], notice["code"], notice["title"]) == (status, code, title)
    assert next_step in notice["message"]


@pytest.mark.parametrize(
    ("how", "status", "code", "texts"), CASES, ids=[c[2] + "-" + str(c[1]) for c in CASES]
)
def test_a_plain_form_still_gets_the_whole_error_page(bare_app, how, status, code, texts):
    client = bare_app.test_client()
    r = how(bare_app, client, {"Accept-Language": "en"})
    body = r.get_data(as_text=True)
    assert r.status_code == status
    assert body.startswith("<!doctype html>")
    assert f"<h1>{texts['en'][0]}</h1>" in body


def test_the_413_page_says_how_much_fits_and_to_go_back(bare_app):
    bare_app.config["MAX_CONTENT_LENGTH"] = 60 * 2**20
    with bare_app.test_request_context(headers={"Accept-Language": "ja"}):
        from werkzeug.exceptions import RequestEntityTooLarge

        response = bare_app.make_response(bare_app.handle_user_exception(RequestEntityTooLarge()))
        body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "<h1>送信内容が<wbr>大きすぎます</h1>" in body  # broken only between phrases
    assert "前の画面に戻り、ファイルの数を減らすか、小さいファイルを選んで（合計60 MBまで）" in body


def test_a_refused_csrf_token_comes_back_renewed_and_the_form_then_goes_through(bare_app):
    client = bare_app.test_client()
    refused = csrf_refused(bare_app, client, HX)
    token = re.search(r'data-csrf-token="([^"]+)"', refused.get_data(as_text=True)).group(1)
    again = client.post(FEEDBACK, data={"rating": "5", "csrf_token": token}, headers=HX)
    # Past the CSRF check: the made-up order link is what is refused now.
    assert again.status_code == 404


def test_only_a_refused_csrf_token_carries_a_fresh_one(bare_app):
    client = bare_app.test_client()
    body = nul_refused(bare_app, client, HX).get_data(as_text=True)
    assert "data-csrf-token" not in body


def test_the_notice_names_the_refused_field_escaped(bare_app):
    client = bare_app.test_client()
    r = client.post(FEEDBACK, data={'comment"><b>': "a\x00b"}, headers=HX)
    assert r.status_code == 400
    assert 'data-field="comment&#34;&gt;&lt;b&gt;"' in r.get_data(as_text=True)


def test_the_api_keeps_json_even_when_asked_by_htmx(bare_app):
    bare_app.config["MAX_CONTENT_LENGTH"] = 1000
    client = bare_app.test_client()
    r = client.post("/api/v1/orders", data={"x": "y" * 2000}, headers=HX)
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "too_large"


@pytest.mark.parametrize(
    ("lang", "texts"),
    [
        ("ja", ["接続できませんでした", "試行回数が多すぎます", "送信内容が大きすぎます"]),
        ("en", ["No connection", "Too many attempts", "What you sent is too large"]),
    ],
)
def test_every_page_carries_the_fallback_notices_in_its_language(bare_app, lang, texts):
    body = bare_app.test_client().get(f"/sakura-tea/?lang={lang}").get_data(as_text=True)
    fallbacks = body.split('<template id="error-notices">')[1].split("</template>")[0]
    statuses = re.findall(r'data-error-notice="(\d+)"', fallbacks)
    assert statuses == ["0", "400", "413", "429", "500"]
    assert all(text in fallbacks for text in texts)
    assert "/static/js/site.js" in body
