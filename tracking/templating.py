"""Template helpers, the security headers every HTML response carries, and static files'
fingerprints (``url_for('static', …)`` adds ``?v=<content hash>``; such a URL is cached for a
year, see docs/operations.md)."""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import re
import secrets

from flask import current_app, g, request, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape
from werkzeug.security import safe_join

import carriers


def csp_nonce() -> str:
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def carrier_name(code: str) -> str:
    try:
        return carriers.get(code).display_name(str(get_locale()))
    except carriers.UnknownCarrier:
        return code


def carrier_url(code: str, number: str) -> str | None:
    try:
        return carriers.get(code).tracking_url(number)
    except (carriers.UnknownCarrier, NotImplementedError):
        return None


def image_hosts() -> list[str]:
    """The hosts a brand's page may show item images from (``[page] image_hosts``): the brand
    of the request's ``brand_slug``; none elsewhere."""
    slug = (request.view_args or {}).get("brand_slug")
    brand = current_app.extensions.get("todoku_brands", {}).get(slug) if slug else None
    return list(brand.page.image_hosts) if brand is not None else []


def security_headers(response):
    # Only our own origin: no CDN, no third-party script, no framing. Images also from the
    # brand's declared image hosts (order items' pictures), https only.
    style = f"'self' 'nonce-{g.csp_nonce}'" if "csp_nonce" in g else "'self'"
    img = " ".join(["'self'", "data:", *(f"https://{host}" for host in image_hosts())])
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; img-src {img}; style-src {style}; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


# A fingerprinted static URL names one version of the file: caches keep it a year and never ask
# again. Any other static request (no ``v``, or the hash of an older version) gets a short
# lifetime, so a changed file is picked up within minutes.
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_LIVED = "public, max-age=300"

# Per file path: ((modification time, size), content hash, bytes); read again when either changes.
_STATIC: dict[str, tuple[tuple[int, int], str, bytes]] = {}


def _static_file(filename: str) -> tuple[str, bytes] | None:
    """(content hash, bytes) of a file under the static folder, or None if there is none."""
    path = safe_join(current_app.static_folder or "", filename)
    try:
        stat = os.stat(path) if path else None
    except OSError:
        return None
    if stat is None or not os.path.isfile(path):
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    known = _STATIC.get(path)
    if known is None or known[0] != key:
        with open(path, "rb") as f:
            data = f.read()
        known = (key, hashlib.sha256(data).hexdigest()[:12], data)
        _STATIC[path] = known
    return known[1], known[2]


def static_fingerprint(filename: str) -> str | None:
    found = _static_file(filename)
    return found[0] if found else None


def static_bytes(filename: str) -> bytes | None:
    found = _static_file(filename)
    return found[1] if found else None


def fingerprint_static_urls(endpoint: str, values: dict) -> None:
    """url_for('static', filename=…) → /static/…?v=<the file's content hash>."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        fingerprint = static_fingerprint(values["filename"])
        if fingerprint:
            values["v"] = fingerprint


def static_cache_headers(response):
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    current = version is not None and version == static_fingerprint(filename)
    response.headers["Cache-Control"] = IMMUTABLE if current else SHORT_LIVED
    return response


def inline_static(filename: str) -> Markup:
    """A static stylesheet's text, to put inside ``<style nonce=…>`` (the CSP allows a nonce'd
    style element): the page then needs no request before its first paint."""
    data = static_bytes(filename)
    if data is None:
        raise FileNotFoundError(filename)
    text = data.decode("utf-8")
    if "</" in text:  # would close the <style> element early
        raise ValueError(f"{filename} cannot be inlined: it contains '</'")
    return Markup(text)


# Japanese line breaking: BudouX (pinned in pyproject.toml) finds the phrase boundaries and the
# filter marks them with <wbr>; the stylesheet's ``word-break: keep-all`` forbids every other
# break in Japanese text, so 「配達しました」 never splits inside the word. Chosen over CSS
# ``word-break: auto-phrase``, which only Chromium implements (not Safari: most phones in
# Japan). Pages are rendered once per change (``page.rendered``), so the parse is rare.
_KANA_KANJI = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
# A number and its counter (12月, 2日, 3個) stay one unit, whatever the model says.
_COUNTER = re.compile(r"[0-9０-９]$")
_TRAILER = re.compile(r"^(?:[(（][^)）]{1,2}[)）])?[〜~・、。：]?")
_COUNTED = re.compile(r"^[0-9０-９年月日時分秒円個点件名本枚歳〜]")


@functools.cache
def _parser():
    import budoux  # loaded on first use: its model is read from disk

    return budoux.load_default_japanese_parser()


@functools.lru_cache(maxsize=8192)
def phrase_chunks(text: str) -> tuple[str, ...]:
    """``text`` cut at the phrase boundaries where a line may break. A one-character phrase
    joins its neighbour, so no line (a banner title's last, say) holds a lone 「く」."""
    chunks: list[str] = []
    for chunk in _parser().parse(text):
        # A weekday in brackets and a trailing 〜 belong to the date before them.
        lead = _TRAILER.match(chunk)
        if chunks and lead and lead.end() < len(chunk):
            chunks[-1] += lead.group()
            chunk = chunk[lead.end() :]
        if chunks and (len(chunk) == 1 or (_COUNTER.search(chunks[-1]) and _COUNTED.match(chunk))):
            chunks[-1] += chunk
        else:
            chunks.append(chunk)
    if len(chunks) > 1 and len(chunks[0]) == 1:
        chunks[:2] = [chunks[0] + chunks[1]]
    return tuple(chunks)


def phrases(text) -> Markup:
    """Jinja filter ``|phrases``: the text escaped, with ``<wbr>`` between Japanese phrases on a
    Japanese page (other text, and text holding tags, pass unchanged). Jinja's ``_()`` returns
    Markup of plain text: that is unescaped, cut and escaped again."""
    if isinstance(text, Markup):
        if "<" in text:
            return text
        text = text.unescape()
    text = "" if text is None else str(text)
    if str(get_locale()) != "ja" or not _KANA_KANJI.search(text):
        return escape(text)
    return Markup("<wbr>").join(_chunk(chunk) for chunk in phrase_chunks(text))


# Inside one phrase, Latin letters, digits or signs meeting kana or kanji are still a break
# opportunity under keep-all (「10%/オフクーポン」): such a phrase is kept on one line whole.
_MIXED = re.compile(
    r"[0-9A-Za-z%]" + _KANA_KANJI.pattern + "|" + _KANA_KANJI.pattern + r"[0-9A-Za-z]"
)


def _chunk(chunk: str) -> Markup:
    if len(chunk) > 1 and _MIXED.search(chunk):
        return Markup('<span class="nowrap">%s</span>') % chunk
    return escape(chunk)


# An image this small costs more as a request of its own (a round trip: 560 ms on a slow phone
# connection, bench/weight.py) than as a data: URI inside the page (the shops' SVG logos and
# banners are 200–800 bytes; the favicon 408). Larger files keep their URL and the browser's
# cache. The CSP allows ``img-src data:``; an SVG shown by <img> runs no script.
INLINE_IMAGE_MAX = 2048
_IMAGE_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".ico": "image/x-icon",
}
# Per file path: ((modification time, size), data: URI or None when too large or not an image).
_IMAGES: dict[str, tuple[tuple[int, int], str | None]] = {}


def small_image(path: str | None) -> str | None:
    """The image at ``path`` as a data: URI when it is at most INLINE_IMAGE_MAX bytes."""
    kind = _IMAGE_TYPES.get(os.path.splitext(path or "")[1].lower())
    if not path or kind is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (stat.st_mtime_ns, stat.st_size)
    known = _IMAGES.get(path)
    if known is None or known[0] != key:
        uri = None
        if stat.st_size <= INLINE_IMAGE_MAX:
            with open(path, "rb") as f:
                uri = f"data:{kind};base64,{base64.b64encode(f.read()).decode()}"
        known = (key, uri)
        _IMAGES[path] = known
    return known[1]


def brand_image(filename: str, url: str) -> str:
    """``src`` of a brand's image (``brands/assets/<filename>``): inline when small, else
    ``url`` (the route that serves it)."""
    assets = os.path.join(current_app.config["BRANDS_DIR"], "assets")
    return small_image(safe_join(assets, filename)) or url


def static_image(filename: str) -> str:
    """``src`` of one of our own static images (the demo's item pictures): inline when small,
    else its fingerprinted URL."""
    return small_image(safe_join(current_app.static_folder, filename)) or url_for(
        "static", filename=filename
    )


def favicon_href(brand=None) -> str:
    """The tab icon: the brand's own (``theme.icon``, else its logo unless a wordmark), else
    Todoku's."""
    icon = brand.theme.tab_icon if brand is not None else None
    if icon:
        return brand_image(icon, url_for("site.icon", brand_slug=brand.slug))
    path = safe_join(current_app.static_folder or "", "favicon.ico")
    return small_image(path) or url_for("static", filename="favicon.ico")


def init_app(app) -> None:
    app.jinja_env.filters["phrases"] = phrases
    app.jinja_env.globals.update(
        csp_nonce=csp_nonce,
        carrier_name=carrier_name,
        carrier_url=carrier_url,
        inline_static=inline_static,
        brand_image=brand_image,
        static_image=static_image,
        favicon_href=favicon_href,
    )
    app.url_defaults(fingerprint_static_urls)
    app.after_request(security_headers)
    app.after_request(static_cache_headers)
