"""Every domain's ORM models in one import, so metadata (create_all, Alembic) sees all tables.

Add one import line per domain package that has a models.py.
"""

from __future__ import annotations

from tumbuh.accounts import models as accounts_models  # noqa: F401
from tumbuh.db import derived as derived_models  # noqa: F401
from tumbuh.db.base import Base
from tumbuh.imports import models as imports_models  # noqa: F401
from tumbuh.interventions import models as interventions_models  # noqa: F401
from tumbuh.register import models as register_models  # noqa: F401
from tumbuh.risk import models as risk_models  # noqa: F401
from tumbuh.surveillance import models as surveillance_models  # noqa: F401

__all__ = ["Base"]
