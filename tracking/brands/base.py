"""Base models shared by every brand-config section."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from tracking import normalize


def _phone(value: str) -> str:
    if not normalize.is_phone(value):
        # The pattern error's type: the brand check words it ("… is not in the expected form").
        raise PydanticCustomError(
            "string_pattern_mismatch", "not a phone number (digits, + - ( ) and spaces)"
        )
    return normalize.phone(value)


#: A phone number of a brand file (support, ship-back address): full-width digits and any dash
#: are accepted and stored half-width (``normalize.phone``).
Phone = Annotated[str, AfterValidator(_phone)]


class Strict(BaseModel):
    # Unknown keys are typos until proven otherwise.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Localized(Strict):
    ja: str | None = None
    en: str | None = None

    def get(self, locale: str, fallback: str) -> str:
        return getattr(self, locale, None) or getattr(self, fallback, None) or ""
