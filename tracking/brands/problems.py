"""Brand-file problems a non-engineer can act on: one line each, naming the file, the key, what
is wrong and an example of a good value, in the staff member's language.

Shown by ``flask brands check``, at start-up (the flask CLI and gunicorn's ``on_starting``) and
in the log when an edited file cannot be reloaded. Translated with Babel's own catalogues (not
Flask-Babel's request locale): gunicorn's arbiter has no app, and the language is the staff
member's (``--lang``, else ``LANG``), not a customer's."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
LANGUAGES = ("en", "ja")


def N_(msgid: str) -> str:
    """Marks a message for pybabel; it is translated when the line is shown."""
    return msgid


class Invalid(ValueError):
    """A validator's complaint as a translatable message: ``str()`` is the English text (what
    pydantic and the log show), ``msgid``/``params`` what ``flask brands check`` translates."""

    def __init__(self, msgid: str, key: str = "", **params: object):
        # ``key``: the key at fault when a whole section's check finds it (default_locale).
        self.msgid, self.params, self.key = msgid, params, key
        super().__init__(msgid % params if params else msgid)


@dataclass(frozen=True)
class Problem:
    file: str
    key: str  # dotted, e.g. "theme.primary"; "" for the whole file
    msgid: str
    params: dict = field(default_factory=dict)
    example: str | None = None  # a good value, as it would be written in the file

    def line(self, lang: str = "en") -> str:
        t = translations(lang)
        text = t.gettext(self.msgid) % self.params if self.params else t.gettext(self.msgid)
        where = f"{self.file}: {self.key}" if self.key else self.file
        if self.example:
            text += t.gettext(N_(" (e.g. %(example)s)")) % {"example": self.example}
        return f"{where}: {text}"


@cache
def translations(lang: str) -> NullTranslations:
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [lang])


def staff_language(env=os.environ) -> str:
    """The staff member's language from the usual locale variables (``ja_JP.UTF-8`` → ja)."""
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").split(":")[0][:2].lower()
        if value:
            return value if value in LANGUAGES else "en"
    return "en"


def lines(problems: list[Problem], lang: str = "en") -> list[str]:
    return [p.line(lang) for p in problems]


# Good values for keys whose mistakes are common; other keys get one by the kind of mistake.
EXAMPLES = {
    "slug": 'slug = "my-shop"',
    "name": 'name = { ja = "さくら茶房", en = "Sakura Tea" }',
    "default_locale": 'default_locale = "ja"',
    "locales": 'locales = ["ja", "en"]',
    "timezone": 'timezone = "Asia/Tokyo"',
    "hostnames": 'hostnames = ["track.my-shop.example"]',
    "support": '[support] email = "help@my-shop.example"',
    "support.email": 'email = "help@my-shop.example"',
    "support.phone": 'phone = "03-1234-5678"',
    "support.url": 'url = "https://my-shop.example/contact"',
    "theme": 'primary = "#1f5f8b", on_primary = "#ffffff"',
    "theme.primary": 'primary = "#1f5f8b"',
    "theme.on_primary": 'on_primary = "#ffffff"',
    "theme.accent": 'accent = "#b3541e"',
    "theme.background": 'background = "#ffffff"',
    "theme.text": 'text = "#1d1d1f"',
    "theme.radius": 'radius = "10px"',
    "theme.logo": 'logo = "my-shop.svg"',
    "theme.icon": 'icon = "my-shop-mark.svg"',
    "theme.logo_has_name": "logo_has_name = true",
    "page.image_hosts": 'image_hosts = ["cdn.shopify.com"]',
    "returns.rma_prefix": 'rma_prefix = "ST"',
    "returns.window_days": "window_days = 30",
    "returns.resolutions": 'resolutions = ["refund", "exchange"]',
    "webhooks.url": 'url = "https://hooks.my-shop.example/todoku"',
    "webhooks.events": 'events = ["parcel.shipped", "parcel.delivered"]',
    "webhooks.secret_env": 'secret_env = "MY_SHOP_WEBHOOK_SECRET"',
    "returns.exchange_label": 'exchange_label = { ja = "交換希望の商品", en = "Exchange for" }',
}
_BY_TYPE = {
    "int_parsing": "30",
    "int_type": "30",
    "int_from_float": "30",
    "bool_type": "true",
    "bool_parsing": "true",
    "string_type": '"text in quotes"',
    "list_type": '["a", "b"]',
    "model_type": '{ ja = "…", en = "…" }',
    "dict_type": '{ key = "value" }',
}
_MESSAGES = {
    "missing": N_("this key is required"),
    "extra_forbidden": N_("unknown key (a typo? docs/brand-config.md lists every key)"),
    "string_pattern_mismatch": N_("%(value)s is not in the expected form"),
    "int_parsing": N_("%(value)s is not a whole number"),
    "int_type": N_("%(value)s is not a whole number"),
    "int_from_float": N_("%(value)s is not a whole number"),
    "bool_type": N_("%(value)s is not true or false"),
    "bool_parsing": N_("%(value)s is not true or false"),
    "string_type": N_("%(value)s must be text in quotes"),
    "list_type": N_("%(value)s must be a list in square brackets"),
    "model_type": N_("must be a table of keys, not %(value)s"),
    "dict_type": N_("must be a table of keys, not %(value)s"),
    "greater_than_equal": N_("%(value)s is too small: use %(ge)s or more"),
    "less_than_equal": N_("%(value)s is too large: use %(le)s or less"),
    "too_short": N_("must list at least %(min_length)s"),
    "literal_error": N_("%(value)s is not one of: %(expected)s"),
}


def _shown(value: object) -> str:
    text = repr(value) if not isinstance(value, str) else f'"{value}"'
    return text if len(text) <= 60 else text[:57] + "…"


def from_pydantic(file: str, error: dict) -> Problem:
    """One pydantic error (``ValidationError.errors()`` item) as a problem line."""
    key = ".".join(str(p) for p in error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    params = {"value": _shown(error.get("input"))}
    cause = ctx.get("error")
    if isinstance(cause, Invalid):
        msgid, params = cause.msgid, cause.params
        key = ".".join(k for k in (key, cause.key) if k)
    elif kind == "value_error" and key.endswith("email"):
        msgid = N_("%(value)s is not an email address")
    elif kind in _MESSAGES:
        msgid = _MESSAGES[kind]
        params.update({k: str(v).replace("'", '"') for k, v in ctx.items()})
    else:  # a validator's own words, not (yet) translatable
        msgid, params = N_("%(detail)s"), {"detail": error["msg"].removeprefix("Value error, ")}
    return Problem(file, key, msgid, params, example_for(key, kind))


def example_for(key: str, kind: str = "") -> str | None:
    generic = re.sub(r"\.\d+(?=\.|$)", "", key)  # page.banners.0.image → page.banners.image
    return EXAMPLES.get(key) or EXAMPLES.get(generic) or _BY_TYPE.get(kind)
