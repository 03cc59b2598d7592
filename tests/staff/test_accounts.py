"""Staff accounts and API keys as services: who may be created, who gets in, which key opens
which brand. (The login pages and their sessions are tested over HTTP in tests/returns/test_admin.py
and tests/dashboard/test_web.py.)"""

from __future__ import annotations

import pytest

from tests.factories import STAFF_PASSWORD, make_staff
from tracking.staff import api_keys
from tracking.staff import auth as staff_auth


def test_an_account_is_found_by_its_email_in_any_case_and_width(session):
    user = make_staff(session, "sakura-tea", email="Owner@Sakura.example", role="owner")
    assert user.email == "owner@sakura.example"
    found = staff_auth.authenticate(session, "ＯＷＮＥＲ@sakura.example", STAFF_PASSWORD)
    assert found is not None and found.id == user.id and found.role == "owner"


def test_a_wrong_password_or_unknown_email_lets_nobody_in(session):
    make_staff(session, "sakura-tea", email="a@sakura.example")
    assert staff_auth.authenticate(session, "a@sakura.example", STAFF_PASSWORD + "x") is None
    assert staff_auth.authenticate(session, "nobody@sakura.example", STAFF_PASSWORD) is None


@pytest.mark.parametrize(
    ("email", "password", "role", "says"),
    [
        ("b@sakura.example", "short", "staff", "at least"),
        ("not-an-address", STAFF_PASSWORD, "staff", "not an email"),
        ("c@sakura.example", STAFF_PASSWORD, "admin", "role"),
        ("A@SAKURA.example", STAFF_PASSWORD, "staff", "already has an account"),
    ],
)
def test_an_account_that_breaks_a_rule_is_refused(session, email, password, role, says):
    make_staff(session, "sakura-tea", email="a@sakura.example")
    with pytest.raises(staff_auth.StaffError, match=says):
        staff_auth.create_staff(session, "northpeak", email, password, role=role)


def test_an_api_key_opens_its_own_brand_until_it_is_revoked(session):
    key = api_keys.create_api_key(session, "northpeak", "warehouse")
    other = api_keys.create_api_key(session, "sakura-tea", "shop")
    row = api_keys.api_key_brand(session, key)
    assert row is not None and row.brand == "northpeak" and row.name == "warehouse"
    assert api_keys.api_key_brand(session, other).brand == "sakura-tea"
    prefix = key.split("_")[1]
    # Another brand cannot revoke it; its own brand can, and then it opens nothing.
    assert api_keys.revoke_api_key(session, "sakura-tea", prefix) is None
    assert api_keys.revoke_api_key(session, "northpeak", prefix) is not None
    assert api_keys.api_key_brand(session, key) is None
    assert api_keys.api_key_brand(session, other) is not None


@pytest.mark.parametrize("key", ["", "tdk_", "tdk_abc", "xyz_abc_def", "tdk_abc_wrong"])
def test_a_made_up_api_key_opens_nothing(session, key):
    api_keys.create_api_key(session, "northpeak", "warehouse")
    assert api_keys.api_key_brand(session, key) is None
