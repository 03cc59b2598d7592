"""``/api/v1/openapi.json``: an OpenAPI 3.1 document built from the very pydantic models that
validate the requests (``tracking.orders.schema``) and shape the answers (``schemas``).

Why pydantic's own JSON Schema and no framework (spectree, flask-openapi3, apiflask): the models
already exist and validate every intake path (API, CSV rows, webhooks), pydantic 2 writes JSON
Schema 2020-12, which is what OpenAPI 3.1 uses, and the views stay plain Flask views; a
framework would add a second way of declaring routes for one document."""

from __future__ import annotations

from functools import cache

from pydantic.json_schema import models_json_schema

import carriers
from tracking.orders.schema import OrderBody, ShipmentIn
from tracking.returns import machine
from tracking.web.api.schemas import (
    ErrorOut,
    LinkOut,
    OrderEnvelope,
    OrderList,
    ReturnEnvelope,
    ReturnList,
    ShipmentEnvelope,
    TransitionBody,
)

REQUESTS = (OrderBody, ShipmentIn, TransitionBody)
ANSWERS = (
    ErrorOut,
    OrderEnvelope,
    ShipmentEnvelope,
    OrderList,
    LinkOut,
    ReturnList,
    ReturnEnvelope,
)


def _ref(model) -> dict:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _json(model, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _with_links(answer: dict, **links: tuple[str, dict]) -> dict:
    """``answer`` with OpenAPI links: what a client (and schemathesis' stateful run) may call
    next with a value from this request or answer (name → (operationId, parameters))."""
    return {
        **answer,
        "links": {
            name: {"operationId": operation, "parameters": parameters}
            for name, (operation, parameters) in links.items()
        },
    }


# The order a request or answer names, for the calls that take an order number.
def _order_links(number: str) -> dict:
    return {
        "GetOrder": ("getOrder", {"number": number}),
        "PostShipment": ("postShipment", {"number": number}),
        "PostLink": ("postLink", {"number": number}),
        "PutOrder": ("putOrder", {"number": number}),
    }


def _errors(*codes: int) -> dict:
    text = {
        400: "Bad request (query, JSON or idempotency key)",
        401: "No API key, or a revoked or wrong one",
        404: "No such order or return for this key's brand",
        409: "Version conflict or illegal transition",
        413: "Body too large",
        422: "Validation error: see error.field",
        429: "Too many requests for this key (without a valid key: from this address); see Retry-After",
    }
    return {str(c): _json(ErrorOut, text[c]) for c in codes}


NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "The order number as the shop writes it (URL-encoded: #1001 → %231001)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
}
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Replays of the same request with this key get the first answer",
    "schema": {"type": "string", "maxLength": 255, "pattern": "^[ -~]+$"},
}
COMMON = (400, 401, 413, 429)


@cache
def openapi_document() -> dict:
    _, defs = models_json_schema(
        [(m, "validation") for m in REQUESTS] + [(m, "serialization") for m in ANSWERS],
        ref_template="#/components/schemas/{model}",
    )
    body = lambda m: {"required": True, "content": {"application/json": {"schema": _ref(m)}}}  # noqa: E731
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Todoku API",
            "version": "1",
            "description": "Orders, shipments and tracking links in; returns out. docs/api.md",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"apiKey": []}],
        "components": {
            "schemas": defs["$defs"],
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
        },
        "paths": {
            "/orders/{number}": {
                "parameters": [NUMBER],
                "put": {
                    "operationId": "putOrder",
                    "summary": "Create or update an order with its items and shipments",
                    "requestBody": body(OrderBody),
                    "responses": {
                        "200": _with_links(
                            _json(OrderEnvelope, "Updated (or unchanged)"),
                            **_order_links("$request.path.number"),
                        ),
                        "201": _with_links(
                            _json(OrderEnvelope, "Created"), **_order_links("$request.path.number")
                        ),
                        **_errors(*COMMON, 404, 422),
                    },
                },
                "get": {
                    "operationId": "getOrder",
                    "summary": "An order, its shipments with status and estimate, its link",
                    "responses": {
                        "200": _with_links(
                            _json(OrderEnvelope, "The order"),
                            **_order_links("$response.body#/order/number"),
                        ),
                        **_errors(*COMMON, 404),
                    },
                },
            },
            "/orders/{number}/shipments": {
                "parameters": [NUMBER],
                "post": {
                    "operationId": "postShipment",
                    "summary": "Add (or update) a parcel of the order",
                    "parameters": [IDEMPOTENCY],
                    "requestBody": body(ShipmentIn),
                    "responses": {
                        "200": _json(ShipmentEnvelope, "Already there (updated or unchanged)"),
                        "201": _with_links(
                            _json(ShipmentEnvelope, "Added"),
                            GetOrder=("getOrder", {"number": "$request.path.number"}),
                        ),
                        **_errors(*COMMON, 404, 422),
                    },
                },
            },
            "/orders/{number}/link": {
                "parameters": [NUMBER],
                "post": {
                    "operationId": "postLink",
                    "summary": "A fresh tracking link (older links stop working)",
                    "parameters": [IDEMPOTENCY],
                    "responses": {
                        "200": _json(LinkOut, "The new link"),
                        **_errors(*COMMON, 404, 422),
                    },
                },
            },
            "/orders": {
                "get": {
                    "operationId": "listOrders",
                    "summary": "Orders by last change, oldest first, a page at a time",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "description": "Only orders with a shipment in this status",
                            "schema": {
                                "type": "string",
                                "enum": [s.value for s in carriers.Status],
                            },
                        },
                        {
                            "name": "updated_since",
                            "in": "query",
                            "schema": {"type": "string", "format": "date-time"},
                        },
                        {"name": "cursor", "in": "query", "schema": {"type": "string"}},
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 200},
                        },
                    ],
                    "responses": {
                        "200": _with_links(
                            _json(OrderList, "A page of orders"),
                            **_order_links("$response.body#/orders/0/number"),
                            NextPage=("listOrders", {"cursor": "$response.body#/next_cursor"}),
                        ),
                        **_errors(*COMMON, 404),
                    },
                },
            },
            "/returns": {
                "get": {
                    "operationId": "listReturns",
                    "summary": "The returns queue",
                    "parameters": [
                        {
                            "name": "status",
                            "in": "query",
                            "schema": {"type": "string", "enum": list(machine.STATUSES)},
                        },
                        {"name": "q", "in": "query", "schema": {"type": "string"}},
                    ],
                    "responses": {
                        "200": _with_links(
                            _json(ReturnList, "Returns"),
                            PostTransition=(
                                "postTransition",
                                {"rma": "$response.body#/returns/0/rma"},
                            ),
                            GetOrder=(
                                "getOrder",
                                {"number": "$response.body#/returns/0/order_number"},
                            ),
                        ),
                        **_errors(*COMMON, 404),
                    },
                },
            },
            "/returns/{rma}/transitions": {
                "parameters": [
                    {
                        "name": "rma",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                    }
                ],
                "post": {
                    "operationId": "postTransition",
                    "summary": "Move a return through its states",
                    "parameters": [IDEMPOTENCY],
                    "requestBody": body(TransitionBody),
                    "responses": {
                        "200": _with_links(
                            _json(ReturnEnvelope, "Moved"),
                            PostTransition=(
                                "postTransition",
                                {"rma": "$response.body#/return/rma"},
                            ),
                        ),
                        **_errors(*COMMON, 404, 409, 422),
                    },
                },
            },
        },
    }
