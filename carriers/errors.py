"""Typed carrier errors: the sync layer decides retry/backoff from the type alone."""


class CarrierError(Exception):
    """Base class for everything an adapter may raise."""


class UnknownCarrier(CarrierError, KeyError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"unknown carrier code {self.code!r}"


class NotFound(CarrierError):
    """The carrier does not know this number (yet): often just not registered."""


class AuthFailed(CarrierError):
    """Credentials missing, wrong or expired."""


class RateLimited(CarrierError):
    def __init__(self, message: str = "rate limited", retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(CarrierError):
    """Timeouts, connection errors, 5xx: try again later."""


class ParseFailed(CarrierError):
    """The body was not what the parser expects (layout change, truncation, wrong type)."""


class ProviderError(CarrierError):
    """The provider answered, but with a processing error about the request itself (an
    aggregator's "only test numbers are valid", a plan or quota limit, a rejected account):
    nothing is known about the parcel, so it must never become a parcel status."""
