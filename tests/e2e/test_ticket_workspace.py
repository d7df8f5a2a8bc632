"""Issue #5's "done when", in a real browser: a new agent signs in to the demo, finds an
unassigned ticket in the queue, takes it, mentions a colleague in an internal note (who is
notified in the app), replies and resolves; the requester sees the reply but not the note
and rates it; the whole history is on the timeline and in the admin's audit view."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import Role, create_user, get_user_by_email
from runtime.notifications import Notification
from runtime.tickets.models import Ticket
from tests.e2e.conftest import Desk, screenshot_dir, serve_desk, sign_in_as, watch_console

pytestmark = pytest.mark.browser

NEW_AGENT = "nora.new@example.com"


def _hire(session: Session) -> None:
    """Nora joins the north repair team today (what ``docket users create`` does)."""
    create_user(session=session, email=NEW_AGENT, name="Nora New", role=Role.AGENT,
                password="docket-demo", team_keys=("repair-north",))


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The demo, a new agent, and one repair ticket nobody has taken yet."""
    with serve_desk(tmp_path_factory.mktemp("live-t"), "live_t", _hire) as served:
        yield served


@pytest.fixture
def sign_in(browser: Browser, desk: Desk) -> Iterator:
    """sign_in(email) -> a page in a browser context of that person's own; any console
    error on any of them fails the test."""
    opened: list[tuple[BrowserContext, list[str]]] = []

    def open_as(email: str) -> Page:
        context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        opened.append((context, watch_console(page)))
        sign_in_as(page, desk.url, email)
        return page

    yield open_as
    errors = [e for _context, found in opened for e in found]
    for context, _found in opened:
        context.close()
    assert errors == [], errors


def test_new_agent_works_a_ticket_from_queue_to_rating(sign_in, desk: Desk) -> None:
    """The whole path through the pages only, checked from every side."""
    base, number = desk.url, desk.number
    agent = sign_in(NEW_AGENT)
    expect(agent).to_have_url(f"{base}/workspace")  # staff land on the queues
    agent.locator(".queue-nav").get_by_role("link", name=re.compile("^Unassigned")).click()
    row = agent.locator(f'tr.queue-row[data-number="{number}"]')
    expect(row.locator("td[data-label=Assignee]")).to_have_text("—")
    row.locator(".ticket-subject a").click()
    expect(agent).to_have_url(f"{base}/workspace/tickets/{number}")
    expect(agent.locator(".breadcrumbs")).to_contain_text("Queues")

    agent.get_by_role("button", name="Take it").click()
    expect(agent.locator(".flash-success")).to_contain_text(f"You took ticket #{number}")
    expect(agent.get_by_label("Assignee")).to_have_value(NEW_AGENT)

    agent.get_by_label("Internal note (staff only)").check()
    agent.locator("#comment-body").fill("Looks like the driver.")
    picker = agent.get_by_label("Mention a colleague")  # only who may see the ticket
    assert picker.locator("option").all_inner_texts() == [
        "Mention…", "Ada Admin · admin@example.com", "Li Wei · agent1@example.com"]
    picker.select_option(label="Li Wei · agent1@example.com")
    expect(agent.locator("#comment-body")).to_have_value(re.compile(r"@\[Li Wei\]"))
    agent.get_by_role("button", name="Send").click()
    expect(agent.locator(".flash-success")).to_contain_text("internal note")
    expect(agent.locator(".timeline-staff")).to_contain_text("Mentioned: agent1@example.com")

    agent.get_by_label("Public reply (the requester sees it)").check()
    agent.locator("#comment-body").fill("Please install driver 2.1 and restart.")
    agent.get_by_role("button", name="Send").click()
    expect(agent.locator(".flash-success")).to_contain_text("reply was sent")

    agent.get_by_label("Status").select_option("resolved")
    agent.get_by_role("button", name="Save changes").click()
    expect(agent.locator(".ticket-head .badge")).to_have_text("Resolved")
    agent.screenshot(path=str(screenshot_dir() / "e2e-ticket-agent.png"), full_page=True)

    colleague = sign_in("agent1@example.com")  # the mention reached Li Wei, in the app
    expect(colleague.locator(".nav-bell")).to_have_attribute("aria-label", re.compile(r"unread"))
    colleague.locator(".nav-bell").click()
    note = colleague.locator(".notif-unread", has_text="You were mentioned")
    expect(note).to_contain_text(f"#{number}")
    expect(note).to_contain_text("Nora New: Looks like the driver.")
    note.get_by_role("link").click()
    expect(colleague).to_have_url(f"{base}/workspace/tickets/{number}")

    requester = sign_in("requester@example.com")
    requester.goto(f"{base}/portal/tickets/{number}")
    expect(requester.get_by_text("Please install driver 2.1 and restart.")).to_be_visible()
    expect(requester.get_by_text("Looks like the driver.")).to_have_count(0)
    requester.locator("label[for=score-5]").click()
    requester.get_by_label("Comment (optional)").fill("Quick and clear.")
    requester.get_by_role("button", name="Send rating").click()
    expect(requester.locator(".flash-success")).to_contain_text("Thank you for your feedback")
    expect(requester.get_by_role("button", name="Send rating")).to_have_count(0)
    requester.screenshot(path=str(screenshot_dir() / "e2e-ticket-requester.png"), full_page=True)

    agent.reload()  # the whole history, in order, on the staff timeline
    titles = iter(t.strip() for t in agent.locator(
        ".timeline-staff .timeline-title").all_inner_texts())
    for expected in ("Riley Requester submitted the request",
                     "Li Wei moved it to the Repair north queue", "Nora New took the ticket",
                     "Nora New added an internal note", "Nora New replied",
                     "Nora New changed the status", "Riley Requester rated the service 5 of 5"):
        assert expected in titles, expected  # in this order (the iterator moves on)

    admin = sign_in("admin@example.com")  # and in the audit trail, filtered to the ticket
    admin.goto(f"{base}/workspace/tickets/{number}")
    admin.get_by_role("link", name="Change history of this ticket (audit trail)").click()
    expect(admin.get_by_label("Id or key")).to_have_value(str(number))
    rows = admin.locator("table tbody tr")
    expect(rows.filter(has_text=NEW_AGENT).filter(has_text="assignee_id")).to_have_count(1)
    expect(rows.filter(has_text=NEW_AGENT).filter(has_text='"resolved"')).to_have_count(1)
    expect(rows.filter(has_text="Added")).to_have_count(1)  # the ticket's creation
    assert rows.filter(has_text=f"Ticket {number}").count() == rows.count()

    with desk.factory() as session:  # what the pages said is what the database holds
        li = get_user_by_email(session=session, email="agent1@example.com")
        kinds = session.scalars(select(Notification.kind).where(
            Notification.user_id == li.id)).all()
        assert "mentioned" in kinds
        assert session.scalar(select(Ticket.status).where(Ticket.number == number)) == "resolved"
