"""Standard Webhooks signatures: the spec's example vector, an independent HMAC, and the spec's
own Python library (``standardwebhooks``) verifying what Todoku sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from tracking.outbound import signing

# The example every Standard Webhooks library tests against (secret, id, time, body, signature).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SPEC_TIME = 1614265330
SPEC_BODY = b'{"test": 2432232314}'
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_spec_example_signs_to_its_published_signature():
    key = signing.decode(SPEC_SECRET)
    assert signing.signature(key, SPEC_ID, SPEC_TIME, SPEC_BODY) == SPEC_SIGNATURE


def test_a_signature_is_hmac_sha256_of_id_time_and_body_with_the_decoded_secret():
    key = bytes(range(40))
    secret = "whsec_" + base64.b64encode(key).decode()
    body = json.dumps({"id": "msg_1", "type": "parcel.shipped", "data": {"n": "注文"}}).encode()
    expected = base64.b64encode(
        hmac.new(key, b"msg_1.1700000000." + body, hashlib.sha256).digest()
    ).decode()
    headers = signing.headers(signing.keys(secret), "msg_1", 1700000000, body)
    assert headers == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": f"v1,{expected}",
        "Content-Type": "application/json",
    }


def test_the_standard_webhooks_library_verifies_what_is_sent():
    now = int(datetime.now(UTC).timestamp())
    body = '{"id":"msg_2","type":"parcel.delivered","data":{}}'
    headers = signing.headers(signing.keys(SPEC_SECRET), "msg_2", now, body.encode())
    assert Webhook(SPEC_SECRET).verify(body, headers) == json.loads(body)
    with pytest.raises(WebhookVerificationError):
        Webhook(SPEC_SECRET).verify(body.replace("delivered", "shipped"), headers)
    other = "whsec_" + base64.b64encode(b"x" * 32).decode()
    with pytest.raises(WebhookVerificationError):
        Webhook(other).verify(body, headers)


def test_during_a_rotation_both_secrets_sign_and_either_verifies():
    old, new = SPEC_SECRET, "whsec_" + base64.b64encode(b"n" * 32).decode()
    now = int(datetime.now(UTC).timestamp())
    body = b'{"id":"msg_3"}'
    headers = signing.headers(signing.keys(f"{old} {new}"), "msg_3", now, body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(body, headers)


@pytest.mark.parametrize(
    "value, words",
    [
        (None, "is not set"),
        ("   ", "is not set"),
        ("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "does not start with whsec_"),
        ("whsec_not base64!", "is not base64 after whsec_"),
        ("whsec_" + base64.b64encode(b"short").decode(), "holds 5 bytes"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "holds 65 bytes"),
    ],
)
def test_a_bad_secret_is_refused_with_what_is_wrong(value, words):
    with pytest.raises(signing.BadSecret, match=words):
        signing.keys(value)
