"""The server of bench/routing.py's ``floor`` side: Docket, where each submission to a form
without a flow also replays, in its own transaction, the writes a routed submission sends.

``FLOOR_WRITES`` names a pickle of (SQL, parameters) as the database driver received them
for one routed submission (recorded by bench/routing.py): the round-robin turn, the
ticket's assignment, and the INSERT of the instance, its task, timeline events, outbox
rows, notice and audit entry. Here they become one statement (the turn and the assignment
as data-modifying CTEs ahead of the INSERT's, the ticket going to the next agent in turn),
which runs before the commit through the driver's own cursor with the new ticket's id;
after the commit the outbox rows it made are handed to RQ, as Docket does. So this side
pays the database and Redis work of routing, in the fewest round trips, and none of the
Python that decides it: no implementation making the same writes goes below it.
"""

from __future__ import annotations

import os
import pickle

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from app import create_app
from runtime.flows.models import NEW_OUTBOX
from runtime.tickets.models import Ticket

app = create_app()
with open(os.environ["FLOOR_WRITES"], "rb") as recorded:
    TICKET_ID, ((TURN, turn), (ASSIGN, assign), (INSERT, insert)) = pickle.load(recorded)
SQL = (f"WITH turn AS ({TURN}), assigned AS ("
       + ASSIGN.replace("%(assignee_id)s", "(SELECT last_user_id FROM turn)")
       + f"), {INSERT.removeprefix('WITH ')}")
PARAMS = {**turn, **assign, **insert}
if not (TURN.startswith("UPDATE team_cursors") and ASSIGN.startswith("UPDATE tickets")
        and INSERT.startswith("WITH ") and len(PARAMS) == len(turn) + len(assign) + len(insert)):
    raise SystemExit("FLOOR_WRITES: not the writes of a usual routed submission")
OUTBOX = 1  # the INSERT reads back (model, id); model 1 of its ids_of is OutboxMessage


@event.listens_for(app.extensions["docket.sessions"], "before_commit")
def _replay(session: Session) -> None:
    if not (has_request_context() and request.path.endswith("/submissions")):
        return
    ticket = next(o for o in session.identity_map.values() if isinstance(o, Ticket))
    cursor = session.connection().connection.cursor()
    cursor.execute(SQL, {key: ticket.id if key.endswith("ticket_id") and value == TICKET_ID
                         else value for key, value in PARAMS.items()})
    session.info.setdefault(NEW_OUTBOX, []).extend(
        made for model, made in cursor.fetchall() if model == OUTBOX)
