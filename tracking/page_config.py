"""``[page]`` section of a brand file: what the tracking page shows beyond the basics."""

from __future__ import annotations

from .brand_base import Strict


class PageConfig(Strict):
    pass
