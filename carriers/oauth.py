"""OAuth2 client-credentials token caches (one per account), shared by UPS, FedEx and USPS.

Tokens are reused until shortly before ``expires_in`` runs out, so a worker polling many numbers
asks the token endpoint once per token lifetime, not once per call (endpoints are rate-limited
per IP/app too).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from .account import Account
from .errors import AuthFailed
from .http import request

#: Refresh this many seconds before the announced expiry (clock skew, slow requests).
MARGIN = 60


@dataclass
class TokenCache:
    """``fetch_token`` does the carrier-specific POST and returns the decoded JSON."""

    fetch_token: Callable[[], dict]
    _token: str = ""
    _expires: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> str:
        with self._lock:
            if self._token and time.time() < self._expires:
                return self._token
            data = self.fetch_token()
            try:
                token = str(data["access_token"])
                lifetime = float(data.get("expires_in", 3600))
            except (KeyError, TypeError, ValueError) as exc:
                raise AuthFailed("token endpoint answered without access_token") from exc
            self._token = token
            self._expires = time.time() + max(lifetime - MARGIN, 0)
            return token

    def clear(self) -> None:
        """Forget the token (after a 401 on a data call, or between tests)."""
        with self._lock:
            self._token, self._expires = "", 0.0


def client_credentials(url: str, client_id: str, secret: str, *, basic: bool) -> dict:
    """POST grant_type=client_credentials; ``basic`` sends the pair as HTTP Basic (UPS),
    otherwise as form fields (FedEx, USPS)."""
    form = {"grant_type": "client_credentials"}
    kwargs: dict = {"data": form, "headers": {"Accept": "application/json"}}
    if basic:
        kwargs["auth"] = (client_id, secret)
    else:
        form.update(client_id=client_id, client_secret=secret)
    response = request("POST", url, retries=1, **kwargs)
    if response.status_code >= 400:
        raise AuthFailed(f"token endpoint {url}: HTTP {response.status_code}")
    try:
        return response.json()
    except requests.JSONDecodeError as exc:
        raise AuthFailed(f"token endpoint {url}: answer is not JSON") from exc


class OAuthMixin:
    """For adapters whose API takes a client-credentials bearer token.

    Subclasses declare ``credential_env`` with ``client_id`` and ``client_secret`` and implement
    ``token_url``; ``bearer(account)`` returns the Authorization header, fetching a token only
    when that account's cached one is (nearly) expired. One cache per account (its key and
    client id): two shops' tokens never mix.
    """

    #: UPS wants the pair as HTTP Basic; FedEx and USPS as form fields.
    token_basic_auth: bool = False

    def token_url(self) -> str:
        raise NotImplementedError

    def tokens(self, account: Account) -> TokenCache:
        caches = self.__dict__.setdefault("_tokens", {})
        client_id = account.get("client_id")
        cache = caches.get((account.key, client_id))
        if cache is None:
            cache = caches[(account.key, client_id)] = TokenCache(
                lambda: self._fetch_token(account)
            )
        return cache

    def _fetch_token(self, account: Account) -> dict:
        client_id, secret = account.get("client_id"), account.get("client_secret")
        return client_credentials(self.token_url(), client_id, secret, basic=self.token_basic_auth)

    def bearer(self, account: Account) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens(account).get()}"}

    def authorized(self, method: str, url: str, account: Account, **kwargs) -> requests.Response:
        """A data call with the account's cached token; a 401 drops the token so the next call
        re-authenticates, and still surfaces as AuthFailed now."""
        headers = {**kwargs.pop("headers", {}), **self.bearer(account)}
        try:
            return request(method, url, headers=headers, **kwargs)
        except AuthFailed:
            self.tokens(account).clear()
            raise
