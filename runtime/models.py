"""Every model imported in one place, so the metadata is complete for Alembic and tests."""

import builder.flows.models  # noqa: F401
import runtime.flows.models
import runtime.tickets.models  # noqa: F401
from core.db import Base

metadata = Base.metadata
