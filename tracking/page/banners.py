"""Cross-sell banners on the tracking page: which ones an order sees, and where a click goes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tracking.page.config import Banner, PageConfig

# What the shop's analytics see on arrival. A shop may set its own utm_* in the target;
# those win over ours.
UTM_SOURCE = "todoku"
UTM_MEDIUM = "tracking_page"


def is_eligible(
    banner: Banner, *, locale: str, today: date, tags: Iterable[str], statuses: Iterable[str]
) -> bool:
    """Whether ``banner`` is shown to an order with these item tags and parcel statuses."""
    if locale not in banner.shown_in:
        return False
    if banner.start and today < banner.start:
        return False
    if banner.end and today > banner.end:
        return False
    if banner.tags and not set(banner.tags) & set(tags):
        return False
    return not (banner.statuses and not set(banner.statuses) & set(statuses))


def for_order(
    page: PageConfig, *, locale: str, today: date, tags: Iterable[str], statuses: Iterable[str]
) -> dict[str, list[Banner]]:
    """The banners to show, by placement, in config order, at most ``max_banners`` each."""
    shown: dict[str, list[Banner]] = {}
    if not page.banners_enabled:
        return shown
    tags, statuses = set(tags), set(statuses)
    for banner in page.banners:
        if is_eligible(banner, locale=locale, today=today, tags=tags, statuses=statuses):
            slot = shown.setdefault(banner.placement, [])
            if len(slot) < page.max_banners:
                slot.append(banner)
    return shown


def click_target(banner: Banner) -> str:
    """The banner's declared target with UTM parameters added (never a URL from the request)."""
    parts = urlsplit(banner.target)
    query = parse_qsl(parts.query, keep_blank_values=True)
    present = {key for key, _ in query}
    utm = {
        "utm_source": UTM_SOURCE,
        "utm_medium": UTM_MEDIUM,
        "utm_campaign": banner.id,
        "utm_content": banner.placement,
    }
    query += [(k, v) for k, v in utm.items() if k not in present]
    return urlunsplit(parts._replace(query=urlencode(query)))
