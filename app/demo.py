"""Demo data: people, the after-sales team and two published forms (repair, refund)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.forms import service as forms
from builder.forms.models import Form
from core.people import Role, Team, TeamMember, User, create_team, create_user

DEMO_DIR = Path(__file__).resolve().parent.parent / "builder" / "forms" / "demo"
DEMO_PASSWORD = "docket-demo"
#: (email, role, name); the two agents form the after-sales team, the first one leads it.
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
    team = session.scalar(select(Team).where(Team.key == "after-sales")) or create_team(
        session=session, key="after-sales", name="After-sales")
    for email, role, name in DEMO_USERS:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session=session, email=email, name=name, role=role)
        user.set_password(DEMO_PASSWORD)
        user.active = True
        if role == Role.AGENT and not any(m.team_id == team.id for m in user.memberships):
            session.add(TeamMember(team=team, user=user, lead=email.startswith("agent1")))
    designer = session.scalar(select(User).where(User.email == "designer@example.com"))
    for path in sorted(DEMO_DIR.glob("*.json")):
        definition = json.loads(path.read_text())
        key = definition["key"]
        if session.scalar(select(Form.id).where(Form.key == key)) is None:
            forms.create_form(session=session, key=key, title=definition["title"],
                              actor=designer, definition=definition)
        else:
            forms.save_draft(session=session, key=key, definition=definition)
        forms.publish_form(session=session, key=key, actor=designer)
    session.flush()
    return True
