"""Brand-config sections owned by feature modules, gathered here so ``brands.Brand`` imports
one place. Each section class lives in its feature's own module."""

from .estimate_config import ShippingConfig
from .page_config import PageConfig
from .returns_config import ReturnPolicy

__all__ = ["PageConfig", "ReturnPolicy", "ShippingConfig"]
