"""The staff side under ``/admin``: login, the returns queue, mail, order import, carrier health
and the merchant's dashboard. Every page wears ``auth.staff_page`` (another brand's URL is a 404).

The ``admin`` blueprint (``auth.bp``) carries the routes of ``auth``, ``returns`` and ``mail``:
importing this package imports all three, so ``admin`` below is the blueprint with every route on
it. The other staff blueprints live in ``carriers``, ``imports`` and ``dashboard``."""

from tracking.web.staff import auth, mail, returns

admin = auth.bp

__all__ = ["admin", "auth", "mail", "returns"]
