"""The agent's main path in a real browser: take an unassigned ticket, mention a colleague in
an internal note, reply, resolve; the requester sees the reply (not the note) and rates it."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from app import create_app
from app.demo import seed_demo
from core.db import make_sessionmaker
from core.people import get_user_by_email
from runtime.notifications import Notification
from runtime.submissions import submit_ticket
from runtime.tickets.models import Ticket
from tests.conftest import _database_url, fresh_database
from tests.e2e.conftest import screenshot_dir

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object, int]]:
    """A live Docket with the demo data and one unassigned repair ticket in no queue."""
    root = tmp_path_factory.mktemp("live-t")
    base = make_url(_database_url(root))
    url = str(base.set(database=f"{base.database}_live_t")) if base.drivername.startswith(
        "postgresql") else f"sqlite:///{root / 'live.db'}"
    engine = fresh_database(url)
    factory = make_sessionmaker(engine)
    with factory() as session:
        seed_demo(session=session, only_if_empty=False)
        requester = get_user_by_email(session=session, email="requester@example.com")
        ticket, _created = submit_ticket(session=session, form_key="repair", data={
            "product": "laptop", "region": "north", "serial_number": "SN12345678",
            "description": "The screen flickers after the update.",
            "preferred_contact": "email"}, requester=requester)
        ticket.assignee, ticket.team = None, None  # unassigned: nobody has taken it yet
        number = ticket.number
        session.commit()
    app = create_app({"DATABASE_URL": url, "UPLOAD_ROOT": str(root / "uploads"),
                      "REDIS_URL": None, "RATELIMIT_ENABLED": False},
                     session_factory=factory)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", factory, number
    server.shutdown()
    engine.dispose()


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "docket-demo")
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/(portal|workspace)"))


def test_agent_takes_notes_replies_resolves_and_requester_rates(page: Page, desk_server) -> None:
    """The whole path, through the pages only."""
    base, factory, number = desk_server
    _sign_in(page, base, "agent1@example.com")
    page.goto(f"{base}/workspace/tickets/{number}")
    expect(page.get_by_text("Not assigned yet")).to_have_count(0)  # the form shows instead
    expect(page.get_by_label("Assignee")).to_have_value("")
    page.get_by_role("button", name="Take it").click()
    expect(page.locator(".flash-success")).to_contain_text(f"You took ticket #{number}")
    expect(page.get_by_label("Assignee")).to_have_value("agent1@example.com")
    expect(page.get_by_label("Status")).to_have_value("open")

    page.get_by_label("Internal note (staff only)").check()
    page.locator("#comment-body").fill("Looks like the driver.")
    page.get_by_label("Mention a colleague").select_option(label="Sam Agent · agent2@example.com")
    expect(page.locator("#comment-body")).to_have_value(re.compile(r"@\[Sam Agent\]"))
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".flash-success")).to_contain_text("internal note")
    expect(page.locator(".timeline-staff")).to_contain_text("Mentioned: agent2@example.com")

    page.get_by_label("Public reply (the requester sees it)").check()
    page.locator("#comment-body").fill("Please install driver 2.1 and restart.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".flash-success")).to_contain_text("reply was sent")

    page.get_by_label("Status").select_option("resolved")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".ticket-head .badge")).to_have_text("Resolved")
    page.screenshot(path=str(screenshot_dir() / "e2e-ticket-agent.png"), full_page=True)

    with factory() as session:  # the colleague was told about the mention
        sam = get_user_by_email(session=session, email="agent2@example.com")
        kinds = session.scalars(select(Notification.kind).where(
            Notification.user_id == sam.id)).all()
        assert "mentioned" in kinds
        assert session.scalar(select(Ticket.status).where(Ticket.number == number)) == "resolved"

    page.context.clear_cookies()
    _sign_in(page, base, "requester@example.com")
    page.goto(f"{base}/portal/tickets/{number}")
    expect(page.get_by_text("Please install driver 2.1 and restart.")).to_be_visible()
    expect(page.get_by_text("Looks like the driver.")).to_have_count(0)
    page.locator("label[for=score-5]").click()
    page.get_by_label("Comment (optional)").fill("Quick and clear.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.locator(".flash-success")).to_contain_text("Thank you for your feedback")
    expect(page.get_by_role("button", name="Send rating")).to_have_count(0)
    page.screenshot(path=str(screenshot_dir() / "e2e-ticket-requester.png"), full_page=True)
