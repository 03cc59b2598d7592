"""``[line]`` section of a brand file: the shop's LINE official account and which milestones go
to LINE. The channel's secret and access token are never in the file: they come from the
environment as ``<SLUG>_LINE_CHANNEL_SECRET`` and ``<SLUG>_LINE_CHANNEL_TOKEN`` (slug
upper-cased, dashes as underscores; ``tracking/config.py``, ``LINE_CHANNELS``)."""

from __future__ import annotations

from pydantic import Field, field_validator

from tracking.brands.base import Strict

#: The milestones a LINE message can say, as the mail triggers name them.
LINE_MILESTONES = (
    "shipped_partial",
    "shipped",
    "out_for_delivery",
    "attempted",
    "pickup",
    "pickup_reminder",
    "delivered",
    "exception",
    "late",
    "follow_up",
    "return",
)
#: Default: the news a customer acts on or waits for. Each push counts against the account's
#: monthly quota (200 messages on the free plan), so the cheap default leaves out the rest.
DEFAULT_MILESTONES = (
    "shipped",
    "out_for_delivery",
    "attempted",
    "pickup",
    "pickup_reminder",
    "delivered",
    "exception",
)


class LineConfig(Strict):
    enabled: bool = True
    # The account's basic ID as LINE shows it (``@123abcde``): the opt-in link opens its chat.
    basic_id: str = Field(pattern=r"^@[a-z0-9._-]{3,40}$")
    # Which milestones are pushed on LINE (each push is one message of the monthly quota).
    milestones: list[str] = Field(default_factory=lambda: list(DEFAULT_MILESTONES))
    # Also mail the milestones LINE sends? Default: LINE replaces the mail for them.
    also_mail: bool = False
    # How long a link code typed into the chat stays valid (minutes).
    code_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)

    @field_validator("basic_id", mode="before")
    @classmethod
    def _lower(cls, value):
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("milestones")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for kind in value:
            if kind not in LINE_MILESTONES:
                raise ValueError(f"unknown milestone {kind!r}; known: {', '.join(LINE_MILESTONES)}")
        return list(dict.fromkeys(value))

    def sends(self, kind: str) -> bool:
        return self.enabled and kind in self.milestones


def env_key(slug: str) -> str:
    """The variables' prefix for ``slug``: ``sakura-tea`` → ``SAKURA_TEA``."""
    return slug.upper().replace("-", "_")
