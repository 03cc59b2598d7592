"""What LINE messages say: the milestone push (a Flex bubble: heading, text, the order number
and buttons to the tracking page and, when there is one, the carrier's page) and the replies to
the customer's own messages (plain text). Pure: call inside ``force_locale`` of the customer's
language; strings go through Babel.

LINE's limits, from the Messaging API reference: ``altText`` up to 400 characters, a quick
reply or template action label up to 20; kept well inside them here."""

from __future__ import annotations

from flask_babel import gettext

STOP_DATA = "todoku=stop"
#: Words that stop the messages (NFKC-normalised, lower-cased, punctuation trimmed).
STOP_WORDS = frozenset({"stop", "停止", "ストップ", "配信停止", "通知停止", "解除"})


def _cut(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def push(
    *,
    alt_text: str,
    heading: str,
    text: str,
    facts: list[tuple[str, str]],
    buttons: list[tuple[str, str]],
    colour: str = "#1f5f8b",
) -> list[dict]:
    """One Flex bubble. ``buttons``: (label, https URL), the first one filled in ``colour``."""
    body = [
        {"type": "text", "text": _cut(heading, 200), "weight": "bold", "wrap": True},
        {"type": "text", "text": _cut(text, 1000), "size": "sm", "wrap": True},
    ]
    body += [
        {"type": "text", "text": _cut(f"{label}: {value}", 200), "size": "xs", "wrap": True}
        for label, value in facts
    ]
    body.append(
        {
            "type": "text",
            "text": gettext("To stop these LINE messages, send “stop”."),
            "size": "xxs",
            "color": "#6b6b6b",
            "wrap": True,
        }
    )
    footer = [
        {
            "type": "button",
            "style": "primary" if i == 0 else "secondary",
            "height": "sm",
            "action": {"type": "uri", "label": _cut(label, 20), "uri": url},
            **({"color": colour} if i == 0 else {}),
        }
        for i, (label, url) in enumerate(buttons[:3])
    ]
    bubble = {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "md", "contents": body},
    }
    if footer:
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "spacing": "sm",
            "contents": footer,
        }
    return [{"type": "flex", "altText": _cut(alt_text, 400), "contents": bubble}]


def _text(text: str, *, stop_button: bool = False) -> dict:
    msg: dict = {"type": "text", "text": _cut(text, 2000)}
    if stop_button:
        msg["quickReply"] = {
            "items": [
                {
                    "type": "action",
                    "action": {
                        "type": "postback",
                        "label": _cut(gettext("Stop LINE messages"), 20),
                        "data": STOP_DATA,
                        "displayText": gettext("stop"),
                    },
                }
            ]
        }
    return msg


def linked(shop: str, number: str) -> list[dict]:
    return [
        _text(
            gettext(
                "%(shop)s: you will get the delivery news of order %(number)s here on LINE. "
                "To stop, send “stop” at any time.",
                shop=shop,
                number=number,
            ),
            stop_button=True,
        )
    ]


def expired(shop: str) -> list[dict]:
    return [
        _text(
            gettext(
                "%(shop)s: this code has expired or was used already. Please open your "
                "tracking page and tap the LINE button again.",
                shop=shop,
            )
        )
    ]


def stopped(shop: str) -> list[dict]:
    return [
        _text(
            gettext(
                "%(shop)s: LINE messages about your orders are off. Your tracking page still "
                "shows the latest status.",
                shop=shop,
            )
        )
    ]


def opt_in_text(code: str) -> str:
    """What the LINE button types into the chat (the customer only taps send)."""
    return gettext("LINE notifications, code: %(code)s", code=code)
