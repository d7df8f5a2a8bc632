"""Every model imported in one place, so the metadata is complete for Alembic and tests."""

import builder.flows.models  # noqa: F401
import runtime.audit
import runtime.flows.models
import runtime.knowledge.models
import runtime.notifications
import runtime.tickets.models
import runtime.tickets.queries  # queue indexes
import runtime.tickets.relations
import runtime.tickets.saved_views
from core.db import Base

metadata = Base.metadata
runtime.audit.install()
