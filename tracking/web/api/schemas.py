"""The JSON API's answers and the returns endpoint's body, as pydantic models: the views build
their answers through them and ``/api/v1/openapi.json`` is generated from them and from the
intake models (``tracking.orders.schema``) that validate the requests."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from tracking.orders.schema import text


class ErrorDetail(BaseModel):
    code: str
    message: str
    field: str | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class ItemOut(BaseModel):
    sku: str
    name: str
    variant: str
    quantity: int
    price: int
    image_url: str


class EstimateOut(BaseModel):
    start: date
    end: date
    slot: str
    source: str


class ShipmentOut(BaseModel):
    carrier: str
    tracking_number: str
    service: str
    shipped_at: datetime | None
    status: str
    sub_status: str
    late: bool
    delivered_at: datetime | None
    estimate: EstimateOut | None
    carrier_url: str | None


class OrderOut(BaseModel):
    number: str
    email: str
    placed_at: datetime
    name: str
    phone: str
    postcode: str
    address: str
    locale: str
    currency: str
    total: int
    payment_method: str
    tags: list[str]
    external_id: str
    requested_date: date | None
    requested_slot: str
    created_at: datetime
    updated_at: datetime
    items: list[ItemOut]
    shipments: list[ShipmentOut]
    link: str = Field(description="The customer's signed tracking link")


class OrderEnvelope(BaseModel):
    order: OrderOut
    result: str | None = Field(default=None, description="created / updated / unchanged")


class ShipmentEnvelope(BaseModel):
    shipment: ShipmentOut
    result: str


class OrderList(BaseModel):
    orders: list[OrderOut]
    next_cursor: str | None


class LinkOut(BaseModel):
    link: str


class ReturnOut(BaseModel):
    rma: str
    status: str
    version: int
    order_number: str | None
    email: str
    fault: str
    return_shipping_paid_by: str
    refund_estimate: int | None
    return_carrier: str | None
    return_tracking_number: str | None
    created_at: str
    updated_at: str
    allowed_actions: list[str] = Field(
        description="The steps staff or this key may take next: after inspection only the "
        "outcomes the customer asked for and not given yet (see resolutions)"
    )
    resolutions: list[str] = Field(description="What the lines ask for, sorted")
    outcomes_given: list[str] = Field(
        description="Outcome steps already taken (refund, exchange, credit, repair, close)"
    )
    currency: str = Field(description="ISO 4217 code of every amount")
    refund_amount: int = Field(
        description="Refund in minor units (yen, cents): refund lines less every fee"
    )
    credit_amount: int = Field(description="Store credit in minor units, bonus included")
    restocking_fee: int = Field(description="Fees kept, in minor units")
    paid_amount: int | None = Field(description="The refund as marked paid, in minor units")
    paid_at: str | None


class ReturnList(BaseModel):
    returns: list[ReturnOut]


class ReturnEnvelope(BaseModel):
    model_config = ConfigDict(extra="allow")
    # Set on success; on a refused transition the error comes with the return as it is.
    return_: ReturnOut = Field(alias="return")


class TransitionBody(BaseModel):
    action: text(32, 1)
    version: StrictInt | None = Field(default=None, ge=0, le=2**31 - 1)
    reason: text(2000) = ""
    carrier: text(32) = ""
    tracking_number: text(64) = ""
