"""Human ticket numbers: 1001, 1002, ... never shared, gaps allowed (like any sequence).

PostgreSQL takes them from the ``ticket_numbers`` sequence, which holds no lock until
commit, so concurrent submissions do not queue. SQLite (one writer at a time anyway) bumps
a counter row with one atomic ``UPDATE ... RETURNING``.
"""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from runtime.tickets.models import Counter

TICKET_COUNTER = "ticket"


def next_ticket_number(session: Session) -> int:
    """Take the next ticket number."""
    if session.get_bind().dialect.name == "postgresql":
        return int(session.execute(text("SELECT nextval('ticket_numbers')")).scalar_one())
    value = session.execute(
        update(Counter).where(Counter.name == TICKET_COUNTER)
        .values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()
    return int(value)
