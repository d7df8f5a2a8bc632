"""Human ticket numbers from a counter row bumped by one atomic UPDATE ... RETURNING.

The UPDATE takes the row lock, so concurrent submissions on PostgreSQL queue on it and
never share a number; a rolled-back submission leaves a gap, as sequences do.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from runtime.tickets.models import Counter

TICKET_COUNTER = "ticket"


def next_ticket_number(session: Session) -> int:
    """Take the next ticket number (the counter row is created by the migrations)."""
    value = session.execute(
        update(Counter).where(Counter.name == TICKET_COUNTER)
        .values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()
    return int(value)
