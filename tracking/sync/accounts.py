"""Which carrier account a shop's calls use, and the start-up check of the variables it names.

A brand's ``[carriers.<code>]`` section may name its own credential variables
(``client_id_env = "NORTHPEAK_UPS_CLIENT_ID"``); a field it does not name uses the
installation's variable (``UPS_CLIENT_SECRET``). The values are read from
``CARRIER_ENVIRON`` (the process environment; tests pass a dict) when a round needs them, and
handed to the adapter as a ``carriers.account.Account``.

The account key tells accounts apart for token caches, rate budgets and breakers: "" is the
installation's account (exactly as before accounts existed), otherwise the first variable the
brand names, in the adapter's field order (``NORTHPEAK_UPS_CLIENT_ID``). Two shops naming the
same variables therefore share one account, its budget and its breaker, as they share it at
the carrier.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import current_app

import carriers
from carriers.account import DEFAULT_KEY, Account, resolve
from tracking.brands.brand import Brand


def environ() -> Mapping[str, str]:
    return current_app.config["CARRIER_ENVIRON"]


def account_key(brand: Brand | None, code: str) -> str:
    """The key of the account ``brand``'s calls through adapter ``code`` use."""
    named = brand.carrier_variables(code) if brand else {}
    fields = carriers.get(code).credential_env
    return next((named[f] for f in fields if f in named), DEFAULT_KEY)


def account_for(brand: Brand | None, code: str, env: Mapping[str, str] | None = None) -> Account:
    """The account (key and credentials, read now) for ``brand``'s calls through ``code``."""
    named = brand.carrier_variables(code) if brand else {}
    return resolve(
        carriers.get(code).credential_env,
        named,
        key=account_key(brand, code),
        environ=environ() if env is None else env,
    )


def check_brands(brands: dict[str, Brand], env: Mapping[str, str]) -> list[str]:
    """Problems that must stop start-up: a variable a brand names for its carrier account is
    not set (an empty value counts as not set)."""
    problems = []
    for slug, brand in brands.items():
        for code, route in brand.carriers.items():
            for field, name in route.variables().items():
                if not (env.get(name) or "").strip():
                    problems.append(
                        f"brand {slug!r}: [carriers.{code}] {field}_env: ${name} is not set"
                    )
    return problems


def keys_of(brand: Brand) -> set[str]:
    """The account keys ``brand``'s calls may use: the installation's and its own."""
    return {DEFAULT_KEY} | {account_key(brand, code) for code in brand.carriers}
