"""The five Japanese carriers, read from their public tracking pages (see docs/carriers-japan.md).

``base`` is what every scraper shares (politeness, HTTP, error wrapping), ``html`` decodes pages
into a tiny DOM, ``rules`` holds the shared status table; one module per carrier holds its page
layout. ``JapaneseAdapter`` lives in ``base`` rather than here so the scrapers import it without
importing this package's re-exports (no order-of-import trap), and so the politeness state that
tests replace has a plain module path: ``carriers.japan.base._sleep``.
"""

from .base import JapaneseAdapter
from .fukuyama import FukuyamaAdapter
from .japanpost import JapanPostAdapter
from .sagawa import SagawaAdapter
from .seino import SeinoAdapter
from .yamato import YamatoAdapter

__all__ = [
    "FukuyamaAdapter",
    "JapanPostAdapter",
    "JapaneseAdapter",
    "SagawaAdapter",
    "SeinoAdapter",
    "YamatoAdapter",
]
