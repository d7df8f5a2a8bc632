"""Human ticket numbers: 1001, 1002, ... never shared, gaps allowed (like any sequence).

PostgreSQL takes them from the ``ticket_numbers`` sequence, which holds no lock until
commit, so concurrent submissions do not queue. SQLite (one writer at a time anyway) bumps
a counter row with one atomic ``UPDATE ... RETURNING``.
"""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from runtime.tickets.models import Counter

TICKET_COUNTER = "ticket"


#: The sequence's next number as SQL: inside a ticket's INSERT it costs no round trip.
NEXT_IN_SEQUENCE = func.nextval("ticket_numbers")


def has_sequence(session: Session) -> bool:
    """True on PostgreSQL, where numbers come from the ``ticket_numbers`` sequence."""
    return session.get_bind().dialect.name == "postgresql"


def next_ticket_number(session: Session) -> int:
    """Take the next ticket number."""
    if has_sequence(session):
        return int(session.execute(select(NEXT_IN_SEQUENCE)).scalar_one())
    value = session.execute(
        update(Counter).where(Counter.name == TICKET_COUNTER)
        .values(value=Counter.value + 1).returning(Counter.value)
    ).scalar_one()
    return int(value)
