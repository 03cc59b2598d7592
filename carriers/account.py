"""Carrier accounts: the credentials one fetch uses, handed to the adapter per call.

An adapter declares what it needs as ``credential_env``: field → the installation's variable
(``{"client_id": "UPS_CLIENT_ID", "client_secret": "UPS_CLIENT_SECRET"}``). An ``Account`` holds
the values for those fields and a ``key`` that tells accounts of one carrier apart: ``""`` is the
installation's own account, anything else an account a caller (the app: a shop) named. Token
caches, rate budgets and breakers are kept per (carrier, key). Like a karrio connection's
settings, the adapter never looks the values up itself when it is given an account.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import AuthFailed

#: The installation's own account of a carrier.
DEFAULT_KEY = ""


@dataclass(frozen=True)
class Account:
    #: "" for the installation's account; otherwise the caller's name for it.
    key: str = DEFAULT_KEY
    #: field → value; a field without a value is missing (AuthFailed when it is needed).
    values: Mapping[str, str] = field(default_factory=dict)
    #: field → the variable the value was (or should have been) read from, for error messages.
    sources: Mapping[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """A required credential; missing → AuthFailed naming its variable (before any request)."""
        value = (self.values.get(name) or "").strip()
        if not value:
            raise AuthFailed(f"{self.sources.get(name, name)} is not set")
        return value

    @property
    def complete(self) -> bool:
        return all((self.values.get(n) or "").strip() for n in self.sources)


def resolve(
    credential_env: Mapping[str, str],
    variables: Mapping[str, str] | None = None,
    *,
    key: str = DEFAULT_KEY,
    environ: Mapping[str, str] | None = None,
) -> Account:
    """The account whose fields are read from ``variables`` (field → variable name), each
    field not named there from the installation's variable in ``credential_env``.
    ``environ`` defaults to the process environment."""
    environ = os.environ if environ is None else environ
    sources = {f: (variables or {}).get(f) or default for f, default in credential_env.items()}
    values = {f: environ.get(var, "") for f, var in sources.items()}
    return Account(key=key, values=values, sources=sources)


def installation(adapter, environ: Mapping[str, str] | None = None) -> Account:
    """The installation's own account of ``adapter`` (its default variables)."""
    return resolve(getattr(adapter, "credential_env", {}), environ=environ)
