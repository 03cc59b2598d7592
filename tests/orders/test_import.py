"""CSV imports with real-shaped files (tests/fixtures/imports/, built from the reference): each
format, broken rows reported by line and column, re-imports changing nothing, the CLI's exit
status and summary line."""

from __future__ import annotations

import pytest
from sqlmodel import select

from tests.support import FIXTURES
from tracking.orders.imports.generic import TEMPLATE
from tracking.orders.imports.run import ImportFileError, run_import
from tracking.orders.models import Order, OrderItem, Shipment

FILES = FIXTURES / "imports"


@pytest.fixture(autouse=True)
def _ctx(app):
    with app.app_context():
        yield


@pytest.fixture
def sakura(app):
    return app.extensions["todoku_brands"]["sakura-tea"]


def _imp(session, brand, fmt, name, **kw):
    return run_import(session, brand, fmt, (FILES / name).read_bytes(), **kw)


def _items(session, order):
    return session.exec(
        select(OrderItem).where(OrderItem.order_id == order.id).order_by(OrderItem.id)
    ).all()


def test_shopify_export_groups_lines_and_reports_broken_rows(session, sakura):
    report = _imp(session, sakura, "shopify", "shopify_orders.csv")
    assert (report.created, report.updated, report.unchanged, report.failed) == (2, 0, 0, 2)
    errors = {(e.line, e.column) for e in report.errors}
    assert errors == {(5, "Email"), (6, "Lineitem quantity")}
    order = session.exec(select(Order).where(Order.number == "#1001")).one()
    assert order.email == "hanako@example.com" and order.postcode == "1500001"
    assert order.phone == "090-1234-5678" and order.external_id == "5501001"
    assert order.tags == ["gift", "vip"] and order.total == 3300
    assert order.placed_at.hour == 1  # 10:15 +09:00 is 01:15 UTC
    assert [(i.sku, i.qty, i.price) for i in _items(session, order)] == [
        ("TEA-01", 2, 1200),
        ("TEA-02", 1, 900),
    ]
    cod = session.exec(select(Order).where(Order.number == "#1002")).one()
    assert cod.payment_method == "cod" and cod.postcode == "0600001"
    again = _imp(session, sakura, "shopify", "shopify_orders.csv")
    assert (again.created, again.updated, again.unchanged, again.failed) == (0, 0, 2, 2)


def test_rakuten_cp932_with_machine_dependent_characters(session, sakura):
    report = _imp(session, sakura, "rakuten", "rakuten_orders.csv")
    assert (report.created, report.failed) == (2, 1), report.errors
    assert report.errors[0].line == 5 and report.errors[0].column == "注文日時"
    order = session.exec(select(Order).where(Order.number == "333267-20261124-0000000101")).one()
    assert order.name == "髙橋 一郎" and order.postcode == "1500001"
    assert order.address == "東京都渋谷区神宮前1-2-3 1号室"  # NFKC: ① → 1, full-width digits
    assert order.requested_slot == "14-16" and str(order.requested_date) == "2026-11-27"
    assert order.email == "815db15fabc1s1@pc.fw.rakuten.ne.jp"
    assert _items(session, order)[0].name == "静岡煎茶~深蒸し~ 100g"
    cod = session.exec(select(Order).where(Order.number == "333267-20261124-0000000102")).one()
    assert cod.payment_method == "cod" and cod.requested_slot == "am"
    assert _imp(session, sakura, "rakuten", "rakuten_orders.csv").unchanged == 2


def test_rakuten_old_generation(session, sakura):
    report = _imp(session, sakura, "rakuten", "rakuten_orders_old.csv")
    assert (report.created, report.failed) == (1, 0), report.errors
    order = session.exec(select(Order)).one()
    assert order.number == "333267-20171027-00006701" and order.name == "髙田 花"
    assert order.placed_at.isoformat() == "2017-10-27T11:03:43+00:00"
    assert _items(session, order)[0].variant == "包装:あり"


def test_rakuten_shipping_attaches_parcels_and_reports_bad_rows(session, sakura):
    _imp(session, sakura, "rakuten", "rakuten_orders.csv")
    report = _imp(session, sakura, "rakuten-shipping", "rakuten_shipping.csv")
    assert (report.created, report.failed) == (1, 3)
    by_line = {e.line: e for e in report.errors}
    assert by_line[3].column == "配送会社" and "1099" in by_line[3].reason
    assert by_line[4].column == "注文番号" and "no such order" in by_line[4].reason
    assert by_line[5].column == "発送日"
    shipment = session.exec(select(Shipment)).one()
    assert (shipment.carrier, shipment.tracking_number) == ("yamato", "300000000016")
    assert shipment.next_check_at is not None and shipment.promised_slot == "14-16"
    assert _imp(session, sakura, "rakuten-shipping", "rakuten_shipping.csv").unchanged == 1


def test_generic_template_imports_with_its_parcel(session, sakura):
    report = run_import(session, sakura, "generic", TEMPLATE.encode())
    assert (report.created, report.failed) == (1, 0), report.errors
    shipment = session.exec(select(Shipment)).one()
    assert shipment.carrier == "yamato" and shipment.tracking_number == "123456789012"
    order = session.exec(select(Order)).one()
    assert order.requested_slot == "14-16" and len(_items(session, order)) == 2


def test_generic_unknown_carrier_and_bad_quantity(session, sakura):
    text = TEMPLATE.replace("yamato,1234", "pigeon,1234", 1).replace(",1,900,", ",-1,900,")
    report = run_import(session, sakura, "generic", text.encode())
    assert report.failed == 1 and report.created == 0
    assert (report.errors[0].line, report.errors[0].column) == (3, "quantity")
    text = TEMPLATE.replace("yamato,1234", "pigeon,1234", 1)
    report = run_import(session, sakura, "generic", text.encode())
    assert (report.errors[0].line, report.errors[0].column) == (2, "carrier")
    assert "pigeon" in report.errors[0].reason


def test_dry_run_counts_and_stores_nothing(session, sakura):
    report = _imp(session, sakura, "shopify", "shopify_orders.csv", dry_run=True)
    assert report.created == 2 and report.summary().startswith("dry run: 2 created")
    assert session.exec(select(Order)).all() == []


def test_wrong_format_names_the_likely_one(session, sakura):
    with pytest.raises(ImportFileError, match="looks like a shopify file"):
        _imp(session, sakura, "rakuten", "shopify_orders.csv")
    with pytest.raises(ImportFileError, match="neither UTF-8"):
        run_import(session, sakura, "generic", b"\xff\xfe\x81")


def test_cli_prints_errors_and_summary_and_fails(app, session):
    runner = app.test_cli_runner()
    path = str(FILES / "shopify_orders.csv")
    args = ["orders", "import", path, "--brand", "sakura-tea", "--format", "shopify"]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "line 5: Email:" in result.output
    assert "2 created, 0 updated, 0 unchanged, 2 failed" in result.output
    result = runner.invoke(args=["orders", "link", "#1001", "--brand", "sakura-tea"])
    assert result.exit_code == 0 and "/sakura-tea/o/" in result.output
    result = runner.invoke(args=["orders", "link", "#9", "--brand", "sakura-tea"])
    assert result.exit_code != 0
