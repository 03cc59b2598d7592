"""The whole way in: a Rakuten order file, then its 発送完了報告 file, one worker pass on the
simulated carrier, and the customer finds the parcel delivered by number + email and through
the link ``flask orders link`` prints."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from carriers.simulated import example_number
from tests.support import FIXTURES
from tracking.orders.models import Shipment
from tracking.sync.rounds import run_round
from tracking.timeutil import utcnow

FILES = FIXTURES / "imports"
NUMBER = "333267-20261124-0000000101"


def _shipping_file(tracking: str, shipped) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["注文番号", "送付先ID", "発送明細ID", "お荷物伝票番号", "配送会社", "発送日"])
    w.writerow([NUMBER, "1", "", tracking, "1001", shipped.strftime("%Y/%m/%d")])
    return buf.getvalue().encode("cp932")


def test_import_ship_sync_and_find(app, client, session, tmp_path):
    runner = app.test_cli_runner()
    args = ["--brand", "sakura-tea", "--format"]
    result = runner.invoke(
        args=["orders", "import", str(FILES / "rakuten_orders.csv"), *args, "rakuten"]
    )
    assert "2 created" in result.output and result.exit_code == 1  # one broken row in it

    tracking = example_number("yamato", "delivered", 7)
    shipping = tmp_path / "hassou.csv"
    shipping.write_bytes(_shipping_file(tracking, utcnow() - timedelta(days=3)))
    result = runner.invoke(args=["orders", "import", str(shipping), *args, "rakuten-shipping"])
    assert result.exit_code == 0, result.output
    assert "1 created, 0 updated, 0 unchanged, 0 failed" in result.output

    with app.app_context():
        report = run_round(session, app.extensions["todoku_brands"])
    assert report.checked == 1, report
    shipment = session.exec(select(Shipment)).one()
    session.refresh(shipment)
    assert shipment.status == "delivered"

    r = client.post(
        "/sakura-tea/lookup",
        data={"number": NUMBER, "contact": "815DB15Fabc1s1@pc.fw.rakuten.ne.jp"},
    )
    assert r.status_code == 303
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert NUMBER in page and "配達完了" in page and tracking[-4:] in page

    link = runner.invoke(args=["orders", "link", NUMBER, "--brand", "sakura-tea"]).output.strip()
    assert link.startswith(app.config["BASE_URL"] + "/sakura-tea/o/")
    page = client.get(link.removeprefix(app.config["BASE_URL"]))
    assert page.status_code == 200 and "配達完了" in page.get_data(as_text=True)
