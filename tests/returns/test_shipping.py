"""Return shipping per brand and resolution: the rules, the status page of each method in both
languages, the QR code only where it is scanned, and the brand-file checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.factories import items_of, make_order, make_return
from tracking.brands.base import Localized
from tracking.brands.brand import check_brand_file
from tracking.returns import shipping, transitions
from tracking.returns.config import ReturnShipping, ShippingRule
from tracking.returns.links import return_token

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def _with_shipping(app, slug: str, **config) -> None:
    brands = app.extensions["todoku_brands"]
    brand = brands[slug]
    returns = brand.returns.model_copy(update={"shipping": ReturnShipping(**config)})
    brands[slug] = brand.model_copy(update={"returns": returns})


def _approved(app, session, reason="changed_mind", resolution="refund", slug="sakura-tea"):
    brand = app.extensions["todoku_brands"][slug]
    order = make_order(session, slug)
    item = items_of(session, order)[0]
    variant = ("白磁",) if resolution == "exchange" else ()
    with app.app_context():
        rr = make_return(session, brand, order, (item, 1, reason, resolution, *variant))
        transitions.transition(session, brand, rr, "approve", actor="staff:t")
        return rr, f"/{slug}/r/{return_token(slug, rr.public_id)}"


# The rules -------------------------------------------------------------------------------


def test_the_first_fitting_rule_wins_by_payer_and_resolution(app):
    policy = app.extensions["todoku_brands"]["sakura-tea"].returns.model_copy(
        update={
            "shipping": ReturnShipping(
                rules=[
                    ShippingRule(paid_by="merchant", method="cod"),
                    ShippingRule(resolutions=["exchange"], method="pickup"),
                    ShippingRule(method="customer"),
                ],
                pickup_note=Localized(ja="集荷", en="Pickup"),
            )
        }
    )
    assert shipping.method_for(policy, "JP", "merchant", ["refund"]) == "cod"
    assert shipping.method_for(policy, "JP", "customer", ["refund", "exchange"]) == "pickup"
    assert shipping.method_for(policy, "JP", "customer", ["refund"]) == "customer"


def test_defaults_cod_in_japan_with_an_address_else_a_label(app):
    brands = app.extensions["todoku_brands"]
    sakura = brands["sakura-tea"].returns.model_copy(update={"shipping": ReturnShipping()})
    northpeak = brands["northpeak"].returns.model_copy(update={"shipping": ReturnShipping()})
    assert shipping.method_for(sakura, "JP", "merchant", ["refund"]) == "cod"
    assert shipping.method_for(sakura, "JP", "customer", ["refund"]) == "customer"
    assert shipping.method_for(northpeak, "US", "merchant", ["refund"]) == "label"
    no_address = sakura.model_copy(update={"ship_to": None})
    assert shipping.method_for(no_address, "JP", "merchant", ["refund"]) == "label"


# The status page per method --------------------------------------------------------------


def test_cod_shows_each_carriers_slip_and_the_address_as_the_slip_asks(app, client, session):
    rr, url = _approved(app, session, reason="wrong_item")  # the shop's fault: it pays
    assert rr.return_shipping_paid_by == "merchant"
    ja = client.get(url + "?lang=ja").get_data(as_text=True)
    assert "着払い" in ja and "ヤマト運輸" in ja and "日本郵便" in ja and "佐川急便" not in ja
    # お届け先 as the slip asks: 〒, address (prefecture first), name with 御中, phone.
    slip = ja[ja.index('<dl class="slip"') :]
    order = [
        slip.index(x)
        for x in (
            "〒150-0001",
            "東京都渋谷区神宮前1-2-3 さくらビル2階",
            "さくら茶舗 返品係 御中",
            "03-1234-5678",
            f"返品 {rr.rma}",
        )
    ]
    assert order == sorted(order)
    en = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Send it cash on delivery (着払い)" in en
    assert "Postcode (郵便番号)" in en and "〒150-0001" in en  # the slip is a Japanese form
    assert "元払い" not in en


def test_customer_paid_says_prepaid_in_english_and_元払い_in_japanese(app, client, session):
    _rr, url = _approved(app, session)
    en = client.get(url + "?lang=en").get_data(as_text=True)
    assert "you pay the shipping" in en and "元払い" not in en and "着払い" not in en
    # The address in English in Japan Post's Latin order: no 〒 on an English page.
    assert (
        "Sakura Tea Returns<br>Sakura Bldg 2F<br>1-2-3 Jingumae, Shibuya-ku<br>Tokyo 150-0001" in en
    )
    ja = client.get(url + "?lang=ja").get_data(as_text=True)
    assert "元払い" in ja and "〒150-0001<br>東京都渋谷区神宮前1-2-3<br>さくらビル2階" in ja


@pytest.mark.parametrize("locale", ["ja", "en"])
def test_a_us_return_address_never_gets_the_japanese_postal_mark(app, client, session, locale):
    _rr, url = _approved(app, session, reason="changed_mind", slug="northpeak")
    page = client.get(f"{url}?lang={locale}").get_data(as_text=True)
    assert "1200 SW Park Ave<br>Portland, OR 97205" in page
    assert "〒" not in page


def test_an_uploaded_label_appears_once_staff_add_it(app, client, session, tmp_path):
    app.config["UPLOAD_DIR"] = str(tmp_path)
    _with_shipping(app, "sakura-tea", rules=[ShippingRule(method="label")], label_carrier="yamato")
    rr, url = _approved(app, session)
    en = client.get(url + "?lang=en").get_data(as_text=True)
    assert "preparing a prepaid return label" in en and '/label"' not in en
    assert client.get(url + "/label").status_code == 404
    from tracking.returns import labels

    brand = app.extensions["todoku_brands"]["sakura-tea"]
    with app.test_request_context():
        labels.attach(session, brand, rr, PDF, actor="staff:t")
    # The button's words, with the <wbr> phrase marks of Japanese line breaking taken out.
    ja = client.get(url + "?lang=ja").get_data(as_text=True).replace("<wbr>", "")
    assert "返品用の送り状（PDF）をダウンロード" in ja and "ヤマト運輸" in ja
    got = client.get(url + "/label")
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith("attachment")
    assert got.headers["Cache-Control"] == "private, no-store"


def test_a_shared_label_is_the_brands_file_for_the_resolutions_it_is_for(app, client, session):
    _with_shipping(
        app,
        "sakura-tea",
        rules=[
            ShippingRule(resolutions=["exchange"], method="shared_label"),
            ShippingRule(method="customer"),
        ],
        shared_label="northpeak-return-label.pdf",  # any PDF among the brands' assets
    )
    _rr, url = _approved(app, session, resolution="exchange")
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert "Download the return label (PDF)" in page
    got = client.get(url + "/label")
    assert got.status_code == 200 and got.data.startswith(b"%PDF-")
    # A refund is sent by the customer: no label to download.
    _rr, refund_url = _approved(app, session)
    assert client.get(refund_url + "/label").status_code == 404


def test_a_pickup_shows_the_shops_note(app, client, session):
    note = Localized(
        ja="ヤマト運輸が3日以内に集荷に伺います。", en="Yamato collects it within 3 days."
    )
    _with_shipping(app, "sakura-tea", rules=[ShippingRule(method="pickup")], pickup_note=note)
    _rr, url = _approved(app, session)
    assert note.ja in client.get(url + "?lang=ja").get_data(as_text=True)
    assert note.en in client.get(url + "?lang=en").get_data(as_text=True)


def test_the_qr_code_only_while_the_parcel_is_to_be_packed(app, client, session):
    brand = app.extensions["todoku_brands"]["sakura-tea"]
    order = make_order(session)
    with app.app_context():
        rr = make_return(session, brand, order)
        url = f"/sakura-tea/r/{return_token('sakura-tea', rr.public_id)}"
    assert 'class="qr"' not in client.get(url).get_data(as_text=True)  # requested
    with app.app_context():
        transitions.transition(session, brand, rr, "approve", actor="staff:t")
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert 'class="qr"' in page and "The shop scans this code" in page
    with app.app_context():
        transitions.transition(session, brand, rr, "receive", actor="staff:t")
    assert 'class="qr"' not in client.get(url).get_data(as_text=True)  # received


def test_the_status_page_has_its_own_title(app, client, session):
    rr, url = _approved(app, session)
    page = client.get(url + "?lang=en").get_data(as_text=True)
    assert f"<title>Return {rr.rma}: status" in page and "<title>Return or exchange" not in page
    assert '<h1 class="pagehead">Your return' in page


# The brand file --------------------------------------------------------------------------

SAKURA = Path(__file__).resolve().parents[2] / "brands" / "sakura-tea.toml"


def _brand_file(tmp_path, shipping: str, ship_to: str | None = None) -> Path:
    text = SAKURA.read_text(encoding="utf-8")
    start = text.index("[returns.shipping]")
    end = text.index("[returns.tags.teaware]")
    text = text[:start] + shipping + "\n" + text[end:]
    if ship_to is not None:
        text = text.replace('country = "JP"\npostcode = "150-0001"', ship_to)
    path = tmp_path / "sakura-tea.toml"
    path.write_text(text, encoding="utf-8")
    shutil.copytree(SAKURA.parent / "assets", tmp_path / "assets", dirs_exist_ok=True)
    return path


@pytest.mark.parametrize(
    ("shipping_toml", "key", "english"),
    [
        (
            '[returns.shipping]\nrules = [{ method = "pickup" }]',
            "returns.shipping.pickup_note",
            'method "pickup" needs pickup_note',
        ),
        (
            '[returns.shipping]\nrules = [{ method = "shared_label" }]',
            "returns.shipping.shared_label",
            'method "shared_label" needs shared_label',
        ),
        (
            '[returns.shipping]\nrules = [{ method = "customer" }, { method = "cod" }]',
            "returns.shipping.rules",
            "rule 1 matches every return",
        ),
        (
            '[returns.shipping]\nrules = [{ method = "cod" }]\ncod_carriers = ["ups"]',
            "returns.shipping.cod_carriers",
            '"ups" takes no cash-on-delivery',
        ),
        (
            '[returns.shipping]\nshared_label = "missing.pdf"\nrules = [{ method = "shared_label" }]',
            "returns.shipping.shared_label",
            'no PDF file "missing.pdf"',
        ),
    ],
)
def test_brand_check_explains_return_shipping_mistakes_in_both_languages(
    tmp_path, shipping_toml, key, english
):
    _brand, problems = check_brand_file(_brand_file(tmp_path, shipping_toml))
    assert [p.key for p in problems] == [key]
    assert english in problems[0].line("en")
    ja = problems[0].line("ja")
    assert ja != problems[0].line("en") and key in ja


def test_cod_is_refused_for_an_address_outside_japan(tmp_path):
    path = _brand_file(
        tmp_path,
        '[returns.shipping]\nrules = [{ method = "cod" }]',
        'country = "US"\npostcode = "97205"',
    )
    _brand, problems = check_brand_file(path)
    assert [p.key for p in problems] == ["returns.shipping.rules"]
    assert "addresses in Japan only" in problems[0].line("en")


def test_a_shared_label_that_is_not_a_pdf_is_refused(tmp_path):
    path = _brand_file(
        tmp_path,
        '[returns.shipping]\nshared_label = "label.pdf"\nrules = [{ method = "shared_label" }]',
    )
    (tmp_path / "assets" / "label.pdf").write_bytes(b"<html>not a pdf</html>")
    assert [p.key for p in check_brand_file(path)[1]] == ["returns.shipping.shared_label"]
    (tmp_path / "assets" / "label.pdf").write_bytes(PDF)
    assert check_brand_file(path)[1] == []


def test_the_approval_mail_carries_the_address_in_the_customers_order(app, session):
    from sqlmodel import select

    from tracking.mail.models import Notification

    rr, _url = _approved(app, session, slug="northpeak")
    mail = session.exec(
        select(Notification).where(Notification.dedupe_key == f"return:{rr.rma}:approved")
    ).one()
    assert "1200 SW Park Ave\nPortland, OR 97205" in mail.body_text and "〒" not in mail.body_text
    rr, _url = _approved(app, session)  # sakura-tea, a Japanese order: the Japanese form
    mail = session.exec(
        select(Notification).where(Notification.dedupe_key == f"return:{rr.rma}:approved")
    ).one()
    assert (
        "〒150-0001\n東京都渋谷区神宮前1-2-3\nさくらビル2階\nさくら茶舗 返品係 御中"
        in mail.body_text
    )
