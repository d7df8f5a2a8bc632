"""Demo data: people, teams, the repair and refund forms and the flows their tickets follow."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.flows import service as flows
from builder.forms import service as forms
from builder.statuses import TicketStatus
from core.errors import NotFound
from core.people import Role, Team, TeamMember, User, create_team, create_user
from runtime.tickets.statuses import create_status

ROOT = Path(__file__).resolve().parent.parent
FORMS_DIR = ROOT / "builder" / "forms" / "demo"
FLOWS_DIR = ROOT / "builder" / "flows" / "demo"
#: Teams: (key, name, members); both agents lead after-sales (its refunds need both).
DEMO_TEAMS = [
    ("after-sales", "After-sales", ("agent1@example.com", "agent2@example.com")),
    ("repair-north", "Repair north", ("agent1@example.com",)),
    ("repair-east", "Repair east", ("agent1@example.com",)),
    ("repair-south", "Repair south", ("agent2@example.com",)),
    ("repair-west", "Repair west", ("agent2@example.com",)),
]
#: Custom statuses (key, category, labels), after each category's own status.
DEMO_STATUSES = [
    ("in_progress", "open", {"en": "In progress", "zh-CN": "进行中"}),
    ("waiting_customer", "pending", {"en": "Waiting for customer", "zh-CN": "等待客户回复"}),
    ("waiting_parts", "pending", {"en": "Waiting for parts", "zh-CN": "等待配件"}),
]
DEMO_PASSWORD = "docket-demo"
#: (email, role, name)
DEMO_USERS = [
    ("admin@example.com", Role.ADMIN, "Ada Admin"),
    ("designer@example.com", Role.DESIGNER, "Dana Designer"),
    ("agent1@example.com", Role.AGENT, "Li Wei"),
    ("agent2@example.com", Role.AGENT, "Sam Agent"),
    ("requester@example.com", Role.REQUESTER, "Riley Requester"),
]


def seed_demo(*, session: Session, only_if_empty: bool) -> bool:
    """Create (or refresh) the demo; with ``only_if_empty`` do nothing if users exist."""
    if only_if_empty and session.scalar(select(User.id).limit(1)) is not None:
        return False
    users = {}
    for email, role, name in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session=session, email=email, name=name, role=role)
        user.set_password(DEMO_PASSWORD)
        user.active = True
        users[email] = user
    for key, name, members in DEMO_TEAMS:
        team = session.scalar(select(Team).where(Team.key == key)) or create_team(
            session=session, key=key, name=name)
        present = {m.user_id for m in team.members}
        for email in members:
            if users[email].id not in present:
                session.add(TeamMember(team=team, user=users[email], lead=key == "after-sales"))
    for key, category, label in DEMO_STATUSES:
        if session.get(TicketStatus, key) is None:
            create_status(session=session, key=key, category=category, label=label)
    session.flush()
    designer = users["designer@example.com"]
    for service, folder in ((forms.FORMS, FORMS_DIR), (flows.FLOWS, FLOWS_DIR)):
        for path in sorted(folder.glob("*.json")):
            definition = json.loads(path.read_text())
            key = definition["key"]
            try:
                service.save_draft(session=session, key=key, definition=definition)
            except NotFound:
                service.create(session=session, key=key, title=definition["title"],
                               actor=designer, definition=definition)
            publish = forms.publish_form if service is forms.FORMS else flows.publish_flow
            publish(session=session, key=key, actor=designer)
    session.flush()
    return True
