"""Brand configuration: one TOML file per merchant brand, validated at start-up.

A bad file stops start-up with the file, the key and what is wrong, so no half-branded page is
ever served. Every key is documented in docs/brand-config.md.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

import carriers
from tracking.brands.base import Localized, Phone, Strict
from tracking.brands.problems import N_, Invalid, Problem, example_for, from_pydantic, lines

# The feature sections of a brand file; each feature owns its own (they import only brands.base).
from tracking.estimates.config import ShippingConfig
from tracking.line.config import LineConfig
from tracking.mail.config import MailConfig
from tracking.outbound.config import WebhookEndpoint
from tracking.page.config import PageConfig
from tracking.privacy.config import PrivacyConfig
from tracking.returns.config import ReturnPolicy

SUPPORTED_LOCALES = ("ja", "en")
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
# Paths our own blueprints use at the top level; a brand slug must not shadow them.
RESERVED_SLUGS = {"admin", "api", "hooks", "healthz", "static", "brand-assets"}


class BrandConfigError(Exception):
    """Raised with one line per problem (file, key, what is wrong, a good value); ``problems``
    keeps them for showing in the staff member's language."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(lines(problems)))


def _hex_colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise Invalid(N_("must be a colour like #1a2b3c, not %(value)s"), value=f'"{value}"')
    return value.lower()


Colour = Annotated[str, AfterValidator(_hex_colour)]


def _luminance(colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


class Theme(Strict):
    primary: Colour = "#1f5f8b"
    on_primary: Colour = "#ffffff"
    accent: Colour = "#b3541e"
    background: Colour = "#ffffff"
    text: Colour = "#1d1d1f"
    radius: str = Field(default="10px", pattern=r"^\d{1,2}(px|rem)$")
    logo: str | None = None  # file under brands/assets/; shown 40 px high, any width
    # The logo spells the shop's name (a wordmark): the name is not written again beside it.
    logo_has_name: bool = False
    # A square mark for the browser tab (favicon), file under brands/assets/. Default: the
    # logo, unless it is a wordmark (a wide name squeezed into 16 px reads as a smudge).
    icon: str | None = None

    @property
    def tab_icon(self) -> str | None:
        return self.icon or (None if self.logo_has_name else self.logo)

    @model_validator(mode="after")
    def _readable(self) -> Theme:
        # WCAG AA: 4.5:1 for normal text. Checked here so a brand cannot ship unreadable pages.
        for fg, bg, what in (
            (self.on_primary, self.primary, "on_primary on primary"),
            (self.text, self.background, "text on background"),
            (self.accent, self.background, "accent on background"),
        ):
            ratio = contrast(fg, bg)
            if ratio < 4.5:
                raise Invalid(
                    N_("%(what)s has contrast %(ratio).1f:1; WCAG AA needs 4.5:1 or more"),
                    what=what,
                    ratio=ratio,
                )
        return self


class Support(Strict):
    email: EmailStr
    phone: Phone | None = None
    hours: Localized | None = None
    url: str | None = Field(default=None, pattern=r"^https?://")


#: An environment variable's name (the brand file names variables, never secrets).
VARIABLE = r"^[A-Z][A-Z0-9_]{0,99}$"


class CarrierRoute(Strict):
    via: str | None = None  # route this carrier through another adapter (aggregator, simulated)
    # The shop's own account: variables holding its credentials (docs/carriers.md, "Accounts
    # per shop"); a field not named here uses the installation's variable.
    client_id_env: str | None = Field(default=None, pattern=VARIABLE)
    client_secret_env: str | None = Field(default=None, pattern=VARIABLE)
    api_key_env: str | None = Field(default=None, pattern=VARIABLE)

    @field_validator("via")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value is not None and value not in carriers.REGISTRY:
            raise ValueError(f"unknown carrier {value!r}; known: {', '.join(carriers.codes())}")
        return value

    def variables(self) -> dict[str, str]:
        """Credential field → the variable this section names for it (``client_id_env`` →
        ``client_id``)."""
        named = {"client_id": self.client_id_env, "client_secret": self.client_secret_env}
        named["api_key"] = self.api_key_env
        return {field: var for field, var in named.items() if var}


class Brand(Strict):
    slug: str
    name: Localized
    default_locale: str = "ja"
    locales: list[str] = Field(default_factory=lambda: list(SUPPORTED_LOCALES), min_length=1)
    timezone: str = "Asia/Tokyo"
    theme: Theme = Theme()
    support: Support
    hostnames: list[str] = Field(default_factory=list)
    # A demo shop (brands/ ships two): served only when TODOKU_DEMO is on.
    demo: bool = False
    carriers: dict[str, CarrierRoute] = Field(default_factory=dict)
    # Feature sections: each is defined in its own module (see brand_sections.py).
    page: PageConfig = PageConfig()
    shipping: ShippingConfig = ShippingConfig()
    returns: ReturnPolicy = ReturnPolicy()
    mail: MailConfig = MailConfig()
    privacy: PrivacyConfig = PrivacyConfig()
    line: LineConfig | None = None  # LINE notifications (docs/line.md)
    # The shop's endpoints for outbound events (docs/webhooks.md).
    webhooks: list[WebhookEndpoint] = Field(default_factory=list, max_length=20)

    @field_validator("slug")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise Invalid(N_("use 1-40 lower-case letters, digits and hyphens"))
        if value in RESERVED_SLUGS:
            raise Invalid(N_('"%(value)s" is reserved for the site\'s own pages'), value=value)
        return value

    @field_validator("locales")
    @classmethod
    def _locales(cls, value: list[str]) -> list[str]:
        for loc in value:
            if loc not in SUPPORTED_LOCALES:
                raise Invalid(N_('unsupported locale "%(value)s"; use "ja" or "en"'), value=loc)
        return value

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise Invalid(N_('unknown time zone "%(value)s"'), value=value) from None
        return value

    @field_validator("carriers")
    @classmethod
    def _carrier_codes(cls, value: dict[str, CarrierRoute]) -> dict[str, CarrierRoute]:
        for code, route in value.items():
            if code not in carriers.REGISTRY:
                raise ValueError(f"unknown carrier {code!r}")
            fields = carriers.get(code).credential_env
            for field in route.variables():
                if route.via:
                    # The calls are made by the ``via`` adapter: its own section names them.
                    raise ValueError(
                        f"{code}: {field}_env with via = {route.via!r}: name the account's "
                        f"variables under [carriers.{route.via}]"
                    )
                if field not in fields:
                    takes = ", ".join(f"{f}_env" for f in fields) or "no credentials"
                    raise ValueError(f"{code}: {field}_env is not used; {code} takes {takes}")
        return value

    @field_validator("webhooks")
    @classmethod
    def _one_each(cls, value: list[WebhookEndpoint]) -> list[WebhookEndpoint]:
        seen: set[str] = set()
        for endpoint in value:
            if endpoint.url in seen:
                raise Invalid(N_('"%(value)s" is listed twice'), value=endpoint.url)
            seen.add(endpoint.url)
        return value

    @field_validator("hostnames")
    @classmethod
    def _hosts(cls, value: list[str]) -> list[str]:
        for host in value:
            if not re.fullmatch(r"[a-z0-9.-]+(:\d+)?", host):
                raise ValueError(f"not a host name: {host!r}")
        return [h.lower() for h in value]

    @model_validator(mode="after")
    def _default_offered(self) -> Brand:
        if self.default_locale not in self.locales:
            raise Invalid(
                N_('"%(value)s" is not in locales'), value=self.default_locale, key="default_locale"
            )
        problem = self.returns.shipping_problem(self.shipping.country)
        if problem is not None:
            problem.key = f"returns.{problem.key}"
            raise problem
        if not self.name.get(self.default_locale, "en"):
            raise Invalid(
                N_('no text for the default locale "%(value)s"'),
                value=self.default_locale,
                key="name",
            )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def display_name(self, locale: str) -> str:
        return self.name.get(locale, self.default_locale)

    def route_for(self, carrier: str) -> str:
        """The adapter code that actually tracks this brand's parcels of ``carrier``."""
        route = self.carriers.get(carrier)
        return route.via if route and route.via else carrier

    def carrier_variables(self, code: str) -> dict[str, str]:
        """Credential field → variable this brand names for adapter ``code``'s calls (empty:
        the installation's account)."""
        route = self.carriers.get(code)
        return route.variables() if route else {}


def check_brand_file(
    path: Path, assets_dir: Path | None = None, production: bool = False
) -> tuple[Brand | None, list]:
    """The brand in ``path`` and every problem found in it (the brand is None when any).
    ``production``: what only production refuses (a webhook over plain http)."""
    name = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"line (\d+)", str(exc))
        msgid = N_("not valid TOML near line %(line)s: check quotes, brackets and = signs")
        return None, [Problem(name, "", msgid, {"line": where.group(1) if where else "?"})]
    except UnicodeDecodeError:
        return None, [Problem(name, "", N_("is not UTF-8 text: save it as UTF-8"))]
    except OSError as exc:
        return None, [Problem(name, "", N_("cannot be read: %(detail)s"), {"detail": exc})]
    problems: list[Problem] = []
    brand = None
    try:
        brand = Brand.model_validate(data, context={"production": production})
    except ValidationError as exc:
        problems += [from_pydantic(name, e) for e in exc.errors()]
    slug = data.get("slug")
    if isinstance(slug, str) and slug != path.stem:
        msgid = N_('"%(value)s" must match the file name (%(stem)s.toml)')
        problems.append(
            Problem(
                name, "slug", msgid, {"value": slug, "stem": path.stem}, f'slug = "{path.stem}"'
            )
        )
    assets = assets_dir or path.parent / "assets"
    theme, page = data.get("theme"), data.get("page")
    logo = theme.get("logo") if isinstance(theme, dict) else None
    if isinstance(logo, str) and (
        not (assets / logo).is_file() or Path(logo).suffix.lower() not in LOGO_TYPES
    ):
        msgid = N_('no image file "%(value)s" in %(dir)s (SVG, PNG, WebP or JPEG)')
        problems.append(
            Problem(
                name, "theme.logo", msgid, {"value": logo, "dir": assets}, example_for("theme.logo")
            )
        )
    icon = theme.get("icon") if isinstance(theme, dict) else None
    if isinstance(icon, str) and (
        not (assets / icon).is_file() or Path(icon).suffix.lower() not in LOGO_TYPES
    ):
        msgid = N_('no image file "%(value)s" in %(dir)s (SVG, PNG, WebP or JPEG)')
        params = {"value": icon, "dir": assets}
        problems.append(Problem(name, "theme.icon", msgid, params, example_for("theme.icon")))
    banners = page.get("banners") if isinstance(page, dict) else None
    for i, banner in enumerate(banners if isinstance(banners, list) else []):
        image = banner.get("image") if isinstance(banner, dict) else None
        if isinstance(image, str) and not (assets / image).is_file():
            msgid = N_('no image file "%(value)s" in %(dir)s')
            params = {"value": image, "dir": assets}
            problems.append(Problem(name, f"page.banners.{i}.image", msgid, params))
    problems += _shared_label_problems(name, data, assets)
    return (None if problems else brand), problems


def _shared_label_problems(name: str, data: dict, assets: Path) -> list[Problem]:
    """``[returns.shipping] shared_label`` must be a real PDF in the assets folder: customers
    download it as the shop's label."""
    returns = data.get("returns")
    shipping = returns.get("shipping") if isinstance(returns, dict) else None
    label = shipping.get("shared_label") if isinstance(shipping, dict) else None
    if not isinstance(label, str):
        return []
    path = assets / label
    try:
        ok = Path(label).name == label and path.is_file() and path.read_bytes()[:5] == b"%PDF-"
    except OSError:
        ok = False
    if ok:
        return []
    msgid = N_('no PDF file "%(value)s" in %(dir)s')
    example = 'shared_label = "return-label.pdf"'
    return [
        Problem(
            name, "returns.shipping.shared_label", msgid, {"value": label, "dir": assets}, example
        )
    ]


LOGO_TYPES = {".svg", ".png", ".webp", ".jpg", ".jpeg"}


def load_brand_file(path: Path, assets_dir: Path | None = None, production: bool = False) -> Brand:
    brand, problems = check_brand_file(path, assets_dir, production)
    if problems:
        raise BrandConfigError(problems)
    return brand


def brand_files(directory: str | Path) -> list[Path]:
    return sorted(Path(directory).glob("*.toml"))


def load_brands(directory: str | Path, production: bool = False) -> dict[str, Brand]:
    """Every brand in ``directory``; ``BrandConfigError`` with every problem of every file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BrandConfigError([Problem(str(directory), "", N_("brand directory not found"))])
    brands: dict[str, Brand] = {}
    hosts: dict[str, str] = {}
    problems: list[Problem] = []
    for path in brand_files(directory):
        brand, found = check_brand_file(path, directory / "assets", production)
        problems += found
        if brand is None:
            continue
        for host in brand.hostnames:
            if host in hosts:
                msgid = N_('"%(value)s" is already used by brand "%(other)s"')
                params = {"value": host, "other": hosts[host]}
                problems.append(Problem(str(path), "hostnames", msgid, params))
            hosts[host] = brand.slug
        brands[brand.slug] = brand
    if problems:
        raise BrandConfigError(problems)
    return brands
