"""``[returns]`` section of a brand file: the return policy."""

from __future__ import annotations

from .brand_base import Strict


class ReturnPolicy(Strict):
    pass
