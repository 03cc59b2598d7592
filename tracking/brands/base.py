"""Base models shared by every brand-config section."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    # Unknown keys are typos until proven otherwise.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    ja: str | None = None
    en: str | None = None

    def get(self, locale: str, fallback: str) -> str:
        return getattr(self, locale, None) or getattr(self, fallback, None) or ""
