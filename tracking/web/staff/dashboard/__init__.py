"""The ``dashboard`` blueprint, one module per screen: ``home`` defines the blueprint, ``orders``,
``watchlist``, ``inquiries``, ``figures`` and ``settings`` add their routes to it. Importing this
package imports every screen, so ``bp`` below carries all of them."""

from tracking.web.staff.dashboard import (
    figures,
    home,
    inquiries,
    orders,
    privacy,
    settings,
    watchlist,
)

bp = home.bp

__all__ = ["bp", "figures", "home", "inquiries", "orders", "privacy", "settings", "watchlist"]
