"""Carrier adapters behind one contract. ``carriers.get(code)``, ``carriers.detect(number)``."""

from .base import Adapter
from .dhl import DHLAdapter
from .errors import (
    AuthFailed,
    CarrierError,
    NotFound,
    ParseFailed,
    RateLimited,
    Unavailable,
    UnknownCarrier,
)
from .fukuyama import FukuyamaAdapter
from .japanpost import JapanPostAdapter
from .model import DeliveryWindow, TrackingEvent, TrackingResult
from .numbers import normalize
from .registry import REGISTRY, codes, detect, get, register
from .sagawa import SagawaAdapter
from .seino import SeinoAdapter
from .simulated import SimulatedAdapter
from .status import TERMINAL, Status
from .ups import UPSAdapter
from .yamato import YamatoAdapter

for _adapter_class in (
    YamatoAdapter,
    SagawaAdapter,
    JapanPostAdapter,
    SeinoAdapter,
    FukuyamaAdapter,
    UPSAdapter,
    DHLAdapter,
    SimulatedAdapter,
):
    register(_adapter_class())

__all__ = [
    "REGISTRY",
    "TERMINAL",
    "Adapter",
    "AuthFailed",
    "CarrierError",
    "DeliveryWindow",
    "NotFound",
    "ParseFailed",
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
