"""The carrier registry: a plain dict keyed by code."""

from __future__ import annotations

from .base import Adapter
from .errors import UnknownCarrier
from .numbers import normalize

REGISTRY: dict[str, Adapter] = {}


def register(adapter: Adapter) -> Adapter:
    if adapter.code in REGISTRY:
        raise ValueError(f"carrier {adapter.code!r} registered twice")
    REGISTRY[adapter.code] = adapter
    return adapter


def get(code: str) -> Adapter:
    try:
        return REGISTRY[code]
    except KeyError:
        raise UnknownCarrier(code) from None


def codes() -> list[str]:
    return sorted(REGISTRY)


def detect(number: str) -> list[str]:
    """Every direct carrier whose format and check digit fit ``number``.

    Aggregators and the simulated carrier accept anything, so they are never "detected".
    """
    clean = normalize(number)
    return [
        code
        for code, adapter in REGISTRY.items()
        if not getattr(adapter, "accepts_any", False) and adapter.validate(clean)
    ]
