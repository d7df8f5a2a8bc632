"""A service desk for ticket tests: two teams, agents, requesters and a way to make tickets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from core.people import Role, Team, User, create_team
from runtime.submissions import submit_ticket
from runtime.tickets.models import Ticket
from tests.forms_fixtures import simple_form


@dataclass
class Desk:
    """The people and a ticket factory."""

    session: Session
    support: Team
    billing: Team
    agent: User
    colleague: User
    outsider: User
    requester: User
    other_requester: User
    new_ticket: Callable[..., Ticket]


@pytest.fixture
def desk(session: Session, make_user: Callable[..., User], make_form: Callable[..., Any]) -> Desk:
    """Support (agent, colleague), billing (outsider), two requesters, a simple form."""
    support = create_team(session=session, key="support", name="Support")
    billing = create_team(session=session, key="billing", name="Billing")
    session.commit()
    agent = make_user(Role.AGENT, email="ann@example.com", teams=("support",))
    colleague = make_user(Role.AGENT, email="bob@example.com", teams=("support",))
    agent.name, colleague.name = "Ann Lee", "Bob Wu"
    outsider = make_user(Role.AGENT, email="out@example.com", teams=("billing",))
    requester = make_user(Role.REQUESTER, email="req@example.com")
    other = make_user(Role.REQUESTER, email="other@example.com")
    make_form(simple_form())

    def new_ticket(summary: str = "Printer on fire", requester: User = requester,
                   team: Team | None = support) -> Ticket:
        ticket, _created = submit_ticket(session=session, form_key="simple", data={
            "category": "question", "summary": summary}, requester=requester)
        ticket.team = team
        session.commit()
        return ticket

    return Desk(session, support, billing, agent, colleague, outsider, requester, other,
                new_ticket)
