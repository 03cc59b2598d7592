"""Who can open what, each layer on its own: the contact comparison of the lookup, the signed
tokens, every query by public id or RMA, and the web loaders (portal, returns page, admin, API).
A layer with its brand check removed fails here even while the layer behind it still holds."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlmodel import select

from tests.factories import items_of, make_order
from tests.support.returns import submission
from tracking import security
from tracking.orders.lookup import find_order, order_by_public_id
from tracking.orders.models import Shipment, ShipmentEvent, ShipmentItem
from tracking.page import events
from tracking.page.models import Feedback, Inquiry
from tracking.page.view import page_view
from tracking.returns import links, queries
from tracking.returns.submission import submit
from tracking.staff import api_keys
from tracking.staff import auth as staff
from tracking.timeutil import utcnow

PASSWORD = "correct horse battery staple 42"

# --- the lookup form's contact comparison ----------------------------------------------------


@pytest.fixture
def order(session):
    return make_order(session, "sakura-tea", email="hanako@example.com")  # postcode 1500001


@pytest.mark.parametrize(
    "contact",
    [
        "hanako@example.com",
        "HANAKO@EXAMPLE.COM",
        " hanako@example.com ",
        "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        "1500001",
        "150-0001",
        "〒150-0001",
        "１５０ー０００１",
    ],
)
def test_the_right_contact_in_any_shape_opens_the_order(session, order, contact):
    found = find_order(session, "sakura-tea", order.number.lower(), contact)
    assert found is not None and found.id == order.id


@pytest.mark.parametrize(
    "contact",
    [
        "hanako@example.co",  # prefix of the email
        "hanako@example.comm",  # the email and more
        "anako@example.com",  # suffix of the email
        "hanako@",
        "@example.com",
        "150",  # prefix of the postcode
        "150000",
        "15000011",
        "0001",  # suffix of the postcode
        "500001",
        "1500002",
        "〒",  # normalises to nothing
        "-",
        "ー",
        "   ",
        "",
    ],
)
def test_a_partial_or_wrong_contact_opens_nothing(session, order, contact):
    assert find_order(session, "sakura-tea", order.number, contact) is None


@pytest.mark.parametrize(("field", "contact"), [("postcode", "〒"), ("postcode", "-")])
def test_an_empty_stored_contact_matches_nothing(session, order, field, contact):
    # An order imported without a postcode: a contact that normalises to "" must not match "".
    setattr(order, field, "")
    session.add(order)
    session.commit()
    assert find_order(session, "sakura-tea", order.number, contact) is None
    assert find_order(session, "sakura-tea", order.number, "") is None
    assert find_order(session, "sakura-tea", order.number, "hanako@example.com").id == order.id


def test_an_order_without_email_is_not_opened_by_an_at_sign(session, order):
    order.email = ""
    session.add(order)
    session.commit()
    assert find_order(session, "sakura-tea", order.number, "@") is None
    assert find_order(session, "sakura-tea", order.number, "＠") is None
    assert find_order(session, "sakura-tea", order.number, "150-0001").id == order.id


def test_an_order_stored_without_a_number_is_not_opened_by_a_blank_number(session, order):
    # Intake refuses blank numbers; if one got in anyway, a blank or all-marks number typed
    # with the right email must still open nothing.
    order.number = ""
    session.add(order)
    session.commit()
    for typed in ("", "  ", "＃", "-"):
        assert find_order(session, "sakura-tea", typed, "hanako@example.com") is None


def test_the_number_and_brand_must_match_too(session, order):
    assert find_order(session, "northpeak", order.number, "hanako@example.com") is None
    assert find_order(session, "sakura-tea", order.number + "1", "hanako@example.com") is None
    assert find_order(session, "sakura-tea", order.number[:-1], "hanako@example.com") is None
    assert find_order(session, "sakura-tea", "", "hanako@example.com") is None
    assert find_order(session, "sakura-tea", "-", "hanako@example.com") is None


# --- signed tokens, without any database ------------------------------------------------------


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def test_order_token_reads_back_only_for_its_brand(ctx):
    token = security.order_token("sakura-tea", "pub-1")
    assert security.read_order_token("sakura-tea", token) == "pub-1"
    assert security.read_order_token("northpeak", token) is None
    assert security.read_order_token("sakura-tea", token[:-2]) is None  # damaged
    assert security.read_order_token("sakura-tea", token + "x") is None
    assert security.read_order_token("sakura-tea", "") is None


def test_return_token_reads_back_only_for_its_brand_and_kind(ctx):
    token = links.return_token("northpeak", "pub-2")
    assert links.read_return_token("northpeak", token) == "pub-2"
    assert links.read_return_token("sakura-tea", token) is None
    # One kind of link is not another.
    assert security.read_order_token("northpeak", token) is None
    order_token = security.order_token("northpeak", "pub-2")
    assert links.read_return_token("northpeak", order_token) is None


def test_a_token_under_another_key_is_refused(app, ctx):
    other = URLSafeSerializer("another-secret", salt=security.ORDER_LINK)
    assert security.read_order_token("sakura-tea", other.dumps(["sakura-tea", "pub-1"])) is None


@pytest.mark.parametrize(
    "payload",
    [
        ["sakura-tea"],
        ["sakura-tea", "pub-1", "extra"],
        {"0": "sakura-tea", "1": "pub-1"},
        "sakura-tea",
        ["sakura-tea", 7],
        ["sakura-tea", None],
        ["sakura-tea", ["pub-1"]],
    ],
)
def test_signed_payloads_of_the_wrong_shape_are_refused(app, ctx, payload):
    signed = URLSafeSerializer(app.config["SECRET_KEY"], salt=security.ORDER_LINK).dumps(payload)
    assert security.read_order_token("sakura-tea", signed) is None


# --- each query by public id or RMA -------------------------------------------------------------


@pytest.fixture
def two(session):
    return {b: make_order(session, b) for b in ("sakura-tea", "northpeak")}


def test_order_by_public_id_is_scoped(session, two):
    st, np_ = two["sakura-tea"], two["northpeak"]
    assert order_by_public_id(session, "sakura-tea", st.public_id).id == st.id
    assert order_by_public_id(session, "sakura-tea", np_.public_id) is None
    assert order_by_public_id(session, "northpeak", st.public_id) is None


def test_page_view_is_scoped(session, two):
    st, np_ = two["sakura-tea"], two["northpeak"]
    assert page_view(session, "sakura-tea", st.public_id).order.id == st.id
    assert page_view(session, "sakura-tea", np_.public_id) is None
    assert page_view(session, "northpeak", st.public_id) is None


def test_page_view_lists_a_parcels_items_in_the_orders_order(session, two):
    """Items read in the order's own order, whatever order they were packed in."""
    from tracking.orders.models import OrderItem

    order = two["sakura-tea"]
    shipment = session.exec(select(Shipment).where(Shipment.order_id == order.id)).first()
    for link in session.exec(select(ShipmentItem)).all():
        session.delete(link)
    first = OrderItem(order_id=order.id, sku="A-1", name="First item", qty=1)
    second = OrderItem(order_id=order.id, sku="B-2", name="Second item", qty=1)
    session.add_all([first, second])
    session.flush()
    # Packed the other way round: the second item's link is made first.
    session.add(ShipmentItem(shipment_id=shipment.id, order_item_id=second.id, qty=1))
    session.flush()
    session.add(ShipmentItem(shipment_id=shipment.id, order_item_id=first.id, qty=1))
    session.commit()
    view = page_view(session, "sakura-tea", order.public_id)
    (parcel,) = [p for p in view.parcels if p.shipment.id == shipment.id]
    names = [item.name for item, _qty in parcel.items]
    assert names[-2:] == ["First item", "Second item"]


def test_view_token_is_scoped_by_token_and_by_query(app, session, two):
    st, np_ = two["sakura-tea"], two["northpeak"]
    with app.app_context():
        token = events.view_token("sakura-tea", st.public_id)
        assert events.read_view(session, "sakura-tea", token)[0] == st.id
        assert events.read_view(session, "northpeak", token) is None  # the token's brand
        # A token of this brand naming another brand's order: the query's brand.
        forged = events.view_token("sakura-tea", np_.public_id)
        assert events.read_view(session, "sakura-tea", forged) is None
        assert events.read_view(session, "sakura-tea", None) is None
        assert events.read_view(session, "sakura-tea", token[:-2]) is None


def test_a_view_token_carries_what_fits_its_columns(app, session, two):
    """What a view token signs is stored with the view (page_events.view_id 32, status 32,
    source 16 characters): nothing longer, nothing made up when the page did not say."""
    from tracking.page.models import PageEvent

    st = two["sakura-tea"]
    columns = PageEvent.__table__.c
    assert (columns.view_id.type.length, columns.status.type.length) == (32, 32)
    with app.app_context():
        plain = events._serializer().loads(events.view_token("sakura-tea", st.public_id))
        assert plain[3:] == ["", ""]  # no status or source given: none recorded
        assert 12 <= len(plain[2]) <= columns.view_id.type.length  # 72 random bits or more
        long_ = events.view_token("sakura-tea", st.public_id, "s" * 40, "t" * 40)
        data = events._serializer().loads(long_)
        assert (len(data[3]), len(data[4])) == (32, columns.source.type.length)


def test_a_view_token_from_before_status_and_source_still_reads(app, session, two):
    st = two["sakura-tea"]
    with app.app_context():
        legacy = events._serializer().dumps(["sakura-tea", st.public_id, "AbCdEfGhIjKl"])
        assert events.read_view(session, "sakura-tea", legacy) == (st.id, "AbCdEfGhIjKl")
        assert events.read_view(session, "northpeak", legacy) is None
        four = events._serializer().dumps(["sakura-tea", st.public_id, "AbCdEfGhIjKl", "x"])
        assert events.read_view(session, "sakura-tea", four) is None


@pytest.fixture
def returns(app, session, two):
    out = {}
    with app.app_context():
        for slug, order in two.items():
            brand = app.extensions["todoku_brands"][slug]
            item = items_of(session, order)[0]
            sub = submission(f"scope-{slug}-0001", (item.id, 1, "changed_mind", "refund"))
            out[slug] = submit(session, brand, order, sub, upload_dir=None)
    return out


def test_returns_by_public_id_and_rma_are_scoped(session, returns):
    st, np_ = returns["sakura-tea"], returns["northpeak"]
    assert queries.by_public_id(session, "sakura-tea", st.public_id).id == st.id
    assert queries.by_public_id(session, "sakura-tea", np_.public_id) is None
    assert queries.by_public_id(session, "northpeak", st.public_id) is None
    assert queries.by_rma(session, "sakura-tea", st.rma).id == st.id
    assert queries.by_rma(session, "sakura-tea", st.rma.lower()).id == st.id  # typed by staff
    assert queries.by_rma(session, "sakura-tea", np_.rma) is None
    assert queries.by_rma(session, "northpeak", st.rma) is None


# --- the web loaders, each with a token or key that is valid for its own brand -----------------


def test_portal_refuses_another_brands_order_under_a_valid_token(app, client, two):
    np_ = two["northpeak"]
    with app.app_context():
        own = security.order_token("northpeak", np_.public_id)
        # Signed for sakura-tea (the token check passes) but naming a northpeak order.
        forged = security.order_token("sakura-tea", np_.public_id)
    assert client.get(f"/northpeak/o/{own}").status_code == 200
    assert client.get(f"/sakura-tea/o/{own}").status_code == 404
    assert client.get(f"/sakura-tea/o/{forged}").status_code == 404
    assert client.get(f"/sakura-tea/o/{forged}/return").status_code == 404


def test_return_page_refuses_another_brands_return_under_a_valid_token(app, client, returns):
    np_ = returns["northpeak"]
    with app.app_context():
        own = links.return_token("northpeak", np_.public_id)
        forged = links.return_token("sakura-tea", np_.public_id)
    assert client.get(f"/northpeak/r/{own}").status_code == 200
    assert client.get(f"/sakura-tea/r/{own}").status_code == 404
    assert client.get(f"/sakura-tea/r/{forged}").status_code == 404


def test_admin_loaders_refuse_another_brands_return(session, client, returns):
    staff.create_staff(session, "northpeak", "b@northpeak.example", PASSWORD)
    client.post("/admin/login", data={"email": "b@northpeak.example", "password": PASSWORD})
    st, np_ = returns["sakura-tea"], returns["northpeak"]
    assert client.get(f"/admin/northpeak/returns/{np_.rma}").status_code == 200
    assert client.get(f"/admin/northpeak/returns/{st.rma}").status_code == 404
    r = client.post(
        f"/admin/northpeak/returns/{st.rma}/transition",
        data={"action": "approve", "version": st.version},
    )
    assert r.status_code == 404
    r = client.post(f"/admin/northpeak/returns/{st.rma}/note", data={"note": "x"})
    assert r.status_code == 404
    client.post("/admin/northpeak/returns/bulk-approve", data={"pick": f"{st.rma}:{st.version}"})
    session.refresh(st)
    assert st.status == "requested"


def test_api_loaders_refuse_another_brands_return(session, client, returns):
    key = api_keys.create_api_key(session, "northpeak", "warehouse")
    headers = {"Authorization": f"Bearer {key}"}
    st, np_ = returns["sakura-tea"], returns["northpeak"]
    r = client.post(
        f"/api/v1/returns/{st.rma}/transitions", json={"action": "approve"}, headers=headers
    )
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"
    session.refresh(st)
    assert st.status == "requested"
    r = client.get("/api/v1/returns", headers=headers)
    assert [x["rma"] for x in r.json["returns"]] == [np_.rma]
    r = client.post(
        f"/api/v1/returns/{np_.rma}/transitions", json={"action": "approve"}, headers=headers
    )
    assert r.status_code == 200 and r.json["return"]["status"] == "approved"


def test_view_token_of_one_brand_naming_another_brands_order(app, session, two):
    # The brand check of the token on its own: the order named is the reading brand's.
    np_ = two["northpeak"]
    with app.app_context():
        token = events.view_token("sakura-tea", np_.public_id)
        assert events.read_view(session, "northpeak", token) is None
        assert events.read_view(session, "northpeak", events.view_token("northpeak", np_.public_id))


@pytest.mark.parametrize(
    "shape", [["{brand}", "{pid}"], ["{brand}", "{pid}", 5], ["{brand}", 5, "view"], "{brand}"]
)
def test_view_tokens_of_the_wrong_shape_are_refused(app, session, two, shape):
    st = two["sakura-tea"]
    fill = {"{brand}": "sakura-tea", "{pid}": st.public_id}
    payload = [fill.get(x, x) for x in shape] if isinstance(shape, list) else "sakura-tea"
    with app.app_context():
        signed = events._serializer().dumps(payload)
        assert events.read_view(session, "sakura-tea", signed) is None


# --- what the page's query by public id returns, field by field --------------------------------
# The order's own parcels (not a customer's return parcel) with their scans newest first, the
# items in each parcel and those not shipped yet, the feedback rating and the shop's latest
# answer to a question asked on the page (the OrderView fields). `make mutation` found them
# untested: only the brand filter was.

PAGE_BRAND = "sakura-tea"


def _order(session):
    """Two lines (2 cups, 1 tea); parcel A carries one cup, parcel B the tea; one cup unshipped."""
    order = make_order(session, PAGE_BRAND, ship=False)
    cup, tea = items_of(session, order)
    now = utcnow()
    parcels = []
    for number, item, qty in (("400000000001", cup, 1), ("400000000002", tea, 1)):
        parcel = Shipment(
            order_id=order.id, carrier="yamato", tracking_number=number, status="in_transit"
        )
        session.add(parcel)
        session.flush()
        session.add(ShipmentItem(shipment_id=parcel.id, order_item_id=item.id, qty=qty))
        parcels.append(parcel)
    a = parcels[0]
    for hours, description in ((5, "荷物受付"), (1, "配達中"), (3, "輸送中")):
        session.add(
            ShipmentEvent(
                shipment_id=a.id,
                occurred_at=now - timedelta(hours=hours),
                status="in_transit",
                description=description,
            )
        )
    # A customer's return parcel on the same order: not one of the order's parcels.
    session.add(
        Shipment(
            order_id=order.id,
            carrier="yamato",
            tracking_number="400000000003",
            direction="return",
        )
    )
    session.commit()
    return order, cup, tea, parcels


def test_page_view_holds_the_orders_parcels_items_and_scans(session):
    order, cup, tea, (a, b) = _order(session)
    view = page_view(session, PAGE_BRAND, order.public_id)
    assert [p.shipment.id for p in view.parcels] == [a.id, b.id]
    assert [e.description for e in view.parcels[0].events] == ["配達中", "輸送中", "荷物受付"]
    assert view.parcels[1].events == []
    assert [(i.id, q) for i, q in view.parcels[0].items] == [(cup.id, 1)]
    assert [(i.id, q) for i, q in view.parcels[1].items] == [(tea.id, 1)]
    assert [(i.id, q) for i, q in view.unshipped] == [(cup.id, 1)]
    assert view.feedback_rating is None
    assert view.shop_reply is None


def test_page_view_of_an_order_with_no_parcels_lists_every_item_unshipped(session):
    order = make_order(session, PAGE_BRAND, ship=False)
    cup, tea = items_of(session, order)
    view = page_view(session, PAGE_BRAND, order.public_id)
    assert view.parcels == []
    assert [(i.id, q) for i, q in view.unshipped] == [(cup.id, 2), (tea.id, 1)]


def test_page_view_carries_the_rating_and_the_latest_answer(session):
    order, *_ = _order(session)
    now = utcnow()
    session.add(Feedback(brand=PAGE_BRAND, order_id=order.id, rating=4))
    for message, status, reply, replied_at in (
        # Asked first, answered last: the latest answer, not the latest question, is shown.
        ("first question", "answered", "first answer", now - timedelta(hours=1)),
        ("second question", "answered", "second answer", now - timedelta(days=1)),
        # Answered at the same moment as the second: the later question wins the tie.
        ("third question", "answered", "third answer", now - timedelta(days=1)),
        ("fourth question", "open", "", None),
    ):
        session.add(
            Inquiry(
                brand=PAGE_BRAND,
                order_id=order.id,
                message=message,
                reply_by=date.today(),
                status=status,
                reply=reply,
                replied_at=replied_at,
            )
        )
    session.commit()
    view = page_view(session, PAGE_BRAND, order.public_id)
    assert view.feedback_rating == 4
    assert view.shop_reply == ("first question", "first answer")
    # Without it, the second and third were answered at the same moment: the later one wins.
    first = session.exec(select(Inquiry).where(Inquiry.message == "first question")).one()
    first.status = "open"
    session.add(first)
    session.commit()
    assert page_view(session, PAGE_BRAND, order.public_id).shop_reply == (
        "third question",
        "third answer",
    )
    assert view.order.id == order.id
    assert len(view.parcels) == 2


def test_an_order_without_items_still_has_its_page(session):
    # An order imported before its lines: the page opens (with nothing listed), never a 404.
    order = make_order(session, PAGE_BRAND, ship=False)
    for item in items_of(session, order):
        session.delete(item)
    session.commit()
    view = page_view(session, PAGE_BRAND, order.public_id)
    assert view.order.id == order.id
    assert (view.parcels, view.unshipped) == ([], [])


def test_page_view_never_shows_another_orders_answer_or_coupon(session):
    """Another customer's answered question and pool coupon stay theirs: the page of an order
    with neither shows neither, and each order sees only its own."""
    from tracking.mail.models import CouponCode

    mine, *_ = _order(session)
    other = make_order(session, PAGE_BRAND, ship=False)
    now = utcnow()
    session.add(
        Inquiry(
            brand=PAGE_BRAND,
            order_id=other.id,
            message="their question",
            reply_by=date.today(),
            status="answered",
            reply="their answer",
            replied_at=now,
        )
    )
    session.add(CouponCode(brand=PAGE_BRAND, code="THEIRS-1", order_id=other.id, issued_at=now))
    session.commit()
    view = page_view(session, PAGE_BRAND, mine.public_id)
    assert view.shop_reply is None
    assert view.pool_coupon is None
    theirs = page_view(session, PAGE_BRAND, other.public_id)
    assert theirs.shop_reply == ("their question", "their answer")
    assert theirs.pool_coupon == "THEIRS-1"
