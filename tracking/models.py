"""The table registry: importing this module registers every feature's tables on
``SQLModel.metadata``. Alembic (``migrations/env.py``) and the tests import it; application code
imports the models from their feature packages."""

from __future__ import annotations

from tracking.dashboard import models as dashboard_models
from tracking.estimates import models as estimates_models
from tracking.line import models as line_models
from tracking.mail import models as mail_models
from tracking.orders import models as orders_models
from tracking.outbound import models as outbound_models
from tracking.page import models as page_models
from tracking.returns import models as returns_models
from tracking.staff import models as staff_models
from tracking.sync import models as sync_models

FEATURE_MODELS = (
    orders_models,
    mail_models,
    line_models,
    staff_models,
    estimates_models,
    page_models,
    returns_models,
    sync_models,
    dashboard_models,
    outbound_models,
)
