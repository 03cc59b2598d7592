"""Carrier accounts per shop, end to end: two shops with different DHL credentials are polled
with their own key (the fake carrier, over real local HTTP, sees each shop's key for its own
numbers), their own budget and their own breaker. Plus how a shop's account is resolved and
the start-up check of the variables a brand names."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug import Response

from carriers import http as carrier_http
from tests.support.fake_carrier import dhl_body
from tracking.brands.brand import Brand, BrandConfigError, CarrierRoute, load_brand_file
from tracking.config import ConfigError
from tracking.orders.models import Shipment
from tracking.sync import accounts, budget, health
from tracking.sync import rounds as sync
from tracking.sync.models import CarrierHealth, RateBucket
from tracking.timeutil import as_utc, utcnow

ROOT = Path(__file__).resolve().parents[2]
NP_VAR = "NORTHPEAK_DHL_API_KEY"
HOUSE_KEY, NP_KEY = "house-key", "np-key"
ENVIRON = {"DHL_API_KEY": HOUSE_KEY, NP_VAR: NP_KEY}


class FakeDHL:
    """The fake carrier's DHL body for every number; records which key asked for which number
    and answers 503 to the keys in ``down``."""

    def __init__(self):
        self.seen: dict[str, list[str]] = defaultdict(list)  # key → numbers asked
        self.down: set[str] = set()

    def __call__(self, request):
        key = request.headers.get("DHL-API-Key", "")
        self.seen[key].append(request.args["trackingNumber"])
        if key in self.down:
            return Response("down", status=503)
        return Response(dhl_body(request.args["trackingNumber"]), mimetype="application/json")


@pytest.fixture
def fake(app, monkeypatch, httpserver):
    """sakura-tea tracks DHL on the installation's account, northpeak on its own."""
    monkeypatch.setenv("DHL_BASE_URL", httpserver.url_for("").rstrip("/"))
    monkeypatch.setattr(carrier_http.time, "sleep", lambda s: None)  # the one retry, no wait
    app.config["CARRIER_ENVIRON"] = dict(ENVIRON)
    # Budgets out of the way unless a test sets them (DHL's 1/s would make the worker wait).
    app.config["CARRIER_RATE_LIMITS"] = {"dhl": (1000.0, None)}
    brands = app.extensions["todoku_brands"]
    northpeak = brands["northpeak"]
    routes = {**northpeak.carriers, "dhl": CarrierRoute(api_key_env=NP_VAR)}
    brands["northpeak"] = northpeak.model_copy(update={"carriers": routes})
    server = FakeDHL()
    httpserver.expect_request("/track/shipments").respond_with_handler(server)
    return server


def _due(session, demo, numbers: dict[str, list[str]], now):
    """Only the given shipments are due: {order number: [tracking numbers]} on DHL."""
    for other in session.exec(select(Shipment)).all():
        other.next_check_at = None
        session.add(other)
    made = {}
    for order_number, tracking in numbers.items():
        for number in tracking:
            s = Shipment(
                order_id=demo[order_number].id,
                carrier="dhl",
                tracking_number=number,
                status="info_received",
                next_check_at=now - timedelta(minutes=1),
            )
            session.add(s)
            made[number] = s
    session.commit()
    return made


def _round(app, session, now):
    with app.app_context():
        return sync.run_round(session, app.extensions["todoku_brands"], now=now)


def _health(session, account: str) -> CarrierHealth:
    query = select(CarrierHealth).where(
        CarrierHealth.carrier == "dhl", CarrierHealth.account == account
    )
    return session.exec(query.execution_options(populate_existing=True)).one()


SAKURA = [f"30000000{i:02d}" for i in range(4)]
NORTHPEAK = [f"40000000{i:02d}" for i in range(4)]


def test_each_shop_is_polled_with_its_own_key(app, demo, session, fake):
    now = utcnow()
    made = _due(session, demo, {"ST-1003": SAKURA, "NP-2001": NORTHPEAK}, now)
    report = _round(app, session, now)
    assert report.checked == 8 and report.failed == 0
    assert sorted(fake.seen[HOUSE_KEY]) == SAKURA
    assert sorted(fake.seen[NP_KEY]) == NORTHPEAK
    assert set(fake.seen) == {HOUSE_KEY, NP_KEY}
    for s in made.values():
        session.refresh(s)
        assert as_utc(s.last_checked_at) == now and s.status == "in_transit"
    # Health per account: the installation's row as before, and northpeak's own.
    assert _health(session, "").window_calls == 4
    assert _health(session, NP_VAR).window_calls == 4


@pytest.mark.parametrize("store", ["database", "redis"])
def test_one_shop_spending_its_budget_does_not_stop_the_other(
    app, demo, session, fake, store, redis_url
):
    if store == "redis":
        import redis

        try:
            redis.Redis.from_url(redis_url).flushdb()
        except redis.ConnectionError:
            pytest.skip("no local Redis")
        app.config["REDIS_URL"] = redis_url
    app.config["CARRIER_RATE_LIMITS"] = {"dhl": (1000.0, 3)}
    now = utcnow()
    with app.app_context():
        # northpeak's account has already spent its day's three calls elsewhere.
        assert budget.take_many(session, "dhl", now, 3, account=NP_VAR) == (3, 0.0)
    made = _due(session, demo, {"ST-1003": SAKURA[:3], "NP-2001": NORTHPEAK[:2]}, now)
    report = _round(app, session, now)
    assert sorted(fake.seen[HOUSE_KEY]) == SAKURA[:3]  # the installation's budget: untouched
    assert NP_KEY not in fake.seen
    assert report.checked == 3 and report.skipped == 2
    assert report.errors["BudgetSpent"] == 1
    for number in NORTHPEAK[:2]:
        s = made[number]
        session.refresh(s)
        assert s.failures == 0 and s.last_checked_at is None
        assert as_utc(s.next_check_at) > now + timedelta(minutes=1)  # tomorrow's budget
    if store == "database":
        buckets = session.exec(select(RateBucket).where(RateBucket.carrier == "dhl")).all()
        assert {(b.account, b.day_count) for b in buckets} == {("", 3), (NP_VAR, 3)}


def test_one_failing_account_opens_only_its_own_breaker(app, demo, session, fake):
    fake.down.add(NP_KEY)  # say, northpeak's key was revoked upstream
    now = utcnow()
    made = _due(session, demo, {"ST-1003": SAKURA, "NP-2001": NORTHPEAK}, now)
    report = _round(app, session, now)
    threshold = app.config["CARRIER_BREAKER_FAILURES"]
    mine = _health(session, NP_VAR)
    assert as_utc(mine.open_until) > now and mine.consecutive_failures == threshold
    house = _health(session, "")
    assert house.open_until is None and house.consecutive_failures == 0
    assert sorted(fake.seen[HOUSE_KEY]) == SAKURA
    assert report.failed == threshold and report.skipped == len(NORTHPEAK) - threshold
    for number in SAKURA:
        session.refresh(made[number])
        assert made[number].status == "in_transit" and made[number].failures == 0

    # While northpeak's circuit is open, the installation's account is still called.
    later = now + timedelta(seconds=10)
    for s in made.values():
        s.next_check_at = later
        session.add(s)
    session.commit()
    before = {key: len(numbers) for key, numbers in fake.seen.items()}
    _round(app, session, later)
    assert len(fake.seen[NP_KEY]) == before[NP_KEY]
    assert len(fake.seen[HOUSE_KEY]) == before[HOUSE_KEY] + len(SAKURA)


def test_staff_check_now_uses_the_shops_account(app, demo, session, fake):
    now = utcnow()
    made = _due(session, demo, {"NP-2001": NORTHPEAK[:1]}, now)
    with app.app_context():
        report = sync.check_now(session, app.extensions["todoku_brands"], made[NORTHPEAK[0]])
    assert report.checked == 1 and fake.seen[NP_KEY] == NORTHPEAK[:1]
    assert HOUSE_KEY not in fake.seen


# --- resolving a shop's account ---------------------------------------------------------------


def _brand(app, slug: str, **routes: CarrierRoute) -> Brand:
    base = app.extensions["todoku_brands"][slug]
    return base.model_copy(update={"carriers": routes})


def test_a_brand_without_its_own_variables_uses_the_installations_account(app):
    brand = _brand(app, "sakura-tea")
    account = accounts.account_for(brand, "dhl", ENVIRON)
    assert account.key == "" and account.get("api_key") == HOUSE_KEY
    assert accounts.account_for(None, "dhl", ENVIRON).key == ""


def test_named_variables_make_the_shops_account_and_unnamed_fields_fall_back(app):
    brand = _brand(app, "northpeak", ups=CarrierRoute(client_id_env="NP_UPS_ID"))
    env = {"NP_UPS_ID": "np-id", "UPS_CLIENT_ID": "house-id", "UPS_CLIENT_SECRET": "house-s"}
    account = accounts.account_for(brand, "ups", env)
    assert account.key == "NP_UPS_ID"
    assert account.get("client_id") == "np-id"
    assert account.get("client_secret") == "house-s"
    # Another carrier of the same brand: still the installation's.
    assert accounts.account_for(brand, "dhl", ENVIRON).key == ""
    assert accounts.keys_of(brand) == {"", "NP_UPS_ID"}


def test_two_brands_naming_the_same_variables_share_one_account(app):
    one = _brand(app, "northpeak", dhl=CarrierRoute(api_key_env=NP_VAR))
    two = _brand(app, "sakura-tea", dhl=CarrierRoute(api_key_env=NP_VAR))
    assert accounts.account_key(one, "dhl") == accounts.account_key(two, "dhl") == NP_VAR


def test_an_aggregator_account_is_named_under_the_aggregators_own_section(app):
    brand = _brand(
        app,
        "sakura-tea",
        yamato=CarrierRoute(via="aftership"),
        aftership=CarrierRoute(api_key_env="SAKURA_AFTERSHIP_KEY"),
    )
    with app.app_context():
        app.config["CARRIER_ENVIRON"] = {"SAKURA_AFTERSHIP_KEY": "k"}
        line = sync.line_for(brand, "yamato")
    assert line.account.get("api_key") == "k"
    assert line.code == "aftership" and line.key == "SAKURA_AFTERSHIP_KEY"


# --- the brand file and start-up --------------------------------------------------------------


def _brand_file(tmp_path: Path, section: str) -> Path:
    text = (ROOT / "brands" / "northpeak.toml").read_text(encoding="utf-8")
    directory = tmp_path / "brands"
    shutil.copytree(ROOT / "brands" / "assets", directory / "assets")
    (directory / "northpeak.toml").write_text(text + "\n" + section, encoding="utf-8")
    return directory


@pytest.mark.parametrize(
    ("section", "says"),
    [
        ('[carriers.fedex]\napi_key_env = "NP_FEDEX"\n', "fedex: api_key_env is not used"),
        ('[carriers.yamato]\napi_key_env = "NP_YAMATO"\n', "takes no credentials"),
        ('[carriers.fedex]\nclient_id_env = "np-lower"\n', "carriers.fedex.client_id_env"),
        (
            '[carriers.fedex]\nvia = "aftership"\nclient_id_env = "NP_FEDEX"\n',
            "under \\[carriers.aftership\\]",
        ),
    ],
)
def test_a_brand_file_naming_credentials_wrongly_is_refused(tmp_path, section, says):
    directory = _brand_file(tmp_path, section)
    with pytest.raises(BrandConfigError, match=says):
        load_brand_file(directory / "northpeak.toml")


def test_check_brands_names_the_brand_the_carrier_and_the_variable(tmp_path):
    directory = _brand_file(tmp_path, '[carriers.fedex]\nclient_id_env = "NP_FEDEX_ID"\n')
    brand = load_brand_file(directory / "northpeak.toml")
    problems = accounts.check_brands({"northpeak": brand}, {"NP_FEDEX_ID": " "})
    assert problems == [
        "brand 'northpeak': [carriers.fedex] client_id_env: $NP_FEDEX_ID is not set"
    ]
    assert accounts.check_brands({"northpeak": brand}, {"NP_FEDEX_ID": "x"}) == []


def test_start_up_stops_when_a_named_variable_is_not_set(app_config, tmp_path):
    from app import create_app

    directory = _brand_file(tmp_path, '[carriers.fedex]\nclient_secret_env = "NP_FEDEX_SECRET"\n')
    config = {**app_config, "BRANDS_DIR": str(directory), "CARRIER_ENVIRON": {}}
    with pytest.raises(ConfigError, match=r"northpeak.*carriers\.fedex.*\$NP_FEDEX_SECRET"):
        create_app(config)
    config["CARRIER_ENVIRON"] = {"NP_FEDEX_SECRET": "s"}
    assert "northpeak" in create_app(config).extensions["todoku_brands"]


# --- the staff carrier page -------------------------------------------------------------------


def test_staff_see_the_installations_accounts_and_their_shops_own_never_anothers(
    app, client, session, demo, fake
):
    from tracking.staff import auth as staff

    now = utcnow()
    with app.app_context():
        health.failure(session, "dhl", now, "AuthFailed: np broken", probe=False, account=NP_VAR)
        health.failure(session, "dhl", now, "Unavailable: house broken", probe=False)
        session.commit()
    password = "correct horse battery"
    for slug, email in (("northpeak", "a@np.example"), ("sakura-tea", "a@st.example")):
        staff.create_staff(session, slug, email, password)
    client.post("/admin/login", data={"email": "a@np.example", "password": password})
    html = client.get("/admin/northpeak/carriers").get_data(as_text=True)
    assert "np broken" in html and "house broken" in html
    assert html.count("own account") == 1  # northpeak's pages are in English
    client.post("/admin/logout")
    client.post("/admin/login", data={"email": "a@st.example", "password": password})
    html = client.get("/admin/sakura-tea/carriers").get_data(as_text=True)
    assert "house broken" in html
    assert "np broken" not in html and "この店舗専用のアカウント" not in html
