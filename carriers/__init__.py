"""Carrier adapters behind one contract. ``carriers.get(code)``, ``carriers.detect(number)``."""

from .aftership import AfterShipAdapter
from .base import Adapter
from .dhl import DHLAdapter
from .easypost import EasyPostAdapter
from .errors import (
    AuthFailed,
    CarrierError,
    NotFound,
    ParseFailed,
    ProviderError,
    RateLimited,
    Unavailable,
    UnknownCarrier,
)
from .fedex import FedExAdapter
from .japan import (
    FukuyamaAdapter,
    JapanPostAdapter,
    SagawaAdapter,
    SeinoAdapter,
    YamatoAdapter,
)
from .model import DeliveryChange, DeliveryWindow, TrackingEvent, TrackingResult
from .numbers import normalize
from .registry import REGISTRY, codes, detect, get, register
from .ship24 import Ship24Adapter
from .simulated import SimulatedAdapter
from .status import TERMINAL, Status
from .track17 import Track17Adapter
from .ups import UPSAdapter
from .usps import USPSAdapter

for _adapter_class in (
    YamatoAdapter,
    SagawaAdapter,
    JapanPostAdapter,
    SeinoAdapter,
    FukuyamaAdapter,
    UPSAdapter,
    DHLAdapter,
    FedExAdapter,
    USPSAdapter,
    AfterShipAdapter,
    Track17Adapter,
    Ship24Adapter,
    EasyPostAdapter,
    SimulatedAdapter,
):
    register(_adapter_class())

__all__ = [
    "REGISTRY",
    "TERMINAL",
    "Adapter",
    "AuthFailed",
    "CarrierError",
    "DeliveryChange",
    "DeliveryWindow",
    "NotFound",
    "ParseFailed",
    "ProviderError",
    "RateLimited",
    "Status",
    "TrackingEvent",
    "TrackingResult",
    "Unavailable",
    "UnknownCarrier",
    "codes",
    "detect",
    "get",
    "normalize",
    "register",
]
