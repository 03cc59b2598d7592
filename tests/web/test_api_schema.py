"""The OpenAPI document is generated from the request models and schemathesis, fed by it,
finds no server error and no answer outside the schema (a small, fast run: few examples per
operation)."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tracking.staff.api_keys import create_api_key


@pytest.fixture
def app_config(app_config):
    return {**app_config, "API_RATE_LIMIT": "100000 per minute"}


@pytest.fixture
def api_key(app, session):
    with app.app_context():
        return create_api_key(session, "sakura-tea", "schemathesis")


@pytest.fixture
def api_schema(app, api_key, client):
    # One order that exists, so GETs and POSTs reach past the 404 now and then.
    headers = {"Authorization": f"Bearer {api_key}"}
    body = {"email": "a@example.com", "items": [{"sku": "A", "name": "A"}]}
    assert client.put("/api/v1/orders/A", json=body, headers=headers).status_code == 201
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_openapi_document_is_3_1_and_covers_orders_and_returns(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    assert {"/orders/{number}", "/orders", "/returns", "/returns/{rma}/transitions"} <= set(
        doc["paths"]
    )
    order = doc["components"]["schemas"]["OrderBody"]
    assert order["properties"]["email"]["maxLength"] == 254
    assert "email" in order["required"]


# No server error, and every answer (status, content type, headers, body) as documented.
# Not "positive data accepted": a schema-valid body may still name an unknown carrier or
# another brand's order, which the API rightly refuses.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
SETTINGS = settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def test_api_conforms_to_its_schema(api_schema, api_key):
    headers = {"Authorization": f"Bearer {api_key}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 7

    for operation in operations:

        @SETTINGS
        @given(case=operation.as_strategy())
        def check(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        check()
