"""The queue page's keyboard shortcuts and live counts (frontend/src/queue-keys.ts) in a real
browser: j/k move, x selects, a assigns to me, o/Enter open, / searches, ? shows the help;
nothing fires while typing in a field or with a modifier held; the counts refresh every
30 seconds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from core.people import get_user_by_email
from runtime.submissions import submit_ticket
from tests.conftest import require_service
from tests.e2e.conftest import Desk, serve_desk, sign_in_as, watch_console

pytestmark = pytest.mark.browser
MANIFEST = Path(__file__).resolve().parents[2] / "app/static/dist/.vite/manifest.json"


def _repair(session: Session, description: str) -> int:
    """A repair ticket for the north team (round robin gives it to Li Wei, its only agent)."""
    requester = get_user_by_email(session=session, email="requester@example.com")
    ticket, _created = submit_ticket(session=session, form_key="repair", data={
        "product": "laptop", "region": "north", "serial_number": "SN87654321",
        "description": description, "preferred_contact": "email"}, requester=requester)
    return ticket.number


def _two_more(session: Session) -> None:
    _repair(session, "The fan is loud.")
    _repair(session, "The hinge is loose.")


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The demo with three repair tickets: the oldest unassigned, two for Li Wei."""
    if not MANIFEST.exists() or "src/queue-keys.ts" not in json.loads(MANIFEST.read_text()):
        require_service("the built frontend", "run npm run build --prefix frontend")
    with serve_desk(tmp_path_factory.mktemp("live-k"), "live_k", _two_more) as served:
        yield served


@pytest.fixture
def agent(browser: Browser, desk: Desk) -> Iterator[Page]:
    """Li Wei on the queue page, with the page clock under the test's control."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = watch_console(page)
    page.clock.install()
    sign_in_as(page, desk.url, "agent1@example.com")
    expect(page).to_have_url(f"{desk.url}/workspace")
    yield page
    context.close()
    assert errors == [], errors


def _current(page: Page) -> list[str]:
    """The numbers of the rows marked current (at most one)."""
    return page.locator("tr.queue-row.is-current").evaluate_all(
        "rows => rows.map(r => r.dataset.number)")


def test_j_k_move_x_selects_and_o_enter_open(agent: Page, desk: Desk) -> None:
    """j and k walk the rows (stopping at either end), x ticks the current row's box, o and
    Enter open the current ticket."""
    rows = agent.locator("tr.queue-row")
    expect(rows).to_have_count(3)
    numbers = rows.evaluate_all("rows => rows.map(r => r.dataset.number)")
    assert _current(agent) == []
    agent.keyboard.press("j")
    assert _current(agent) == [numbers[0]]
    for _ in range(4):  # past the last row: stays on it
        agent.keyboard.press("j")
    assert _current(agent) == [numbers[2]]
    agent.keyboard.press("k")
    assert _current(agent) == [numbers[1]]

    box = rows.nth(1).locator('input[name="tickets"]')
    agent.keyboard.press("x")
    expect(box).to_be_checked()
    agent.keyboard.press("x")
    expect(box).not_to_be_checked()

    agent.keyboard.press("o")
    expect(agent).to_have_url(f"{desk.url}/workspace/tickets/{numbers[1]}")
    agent.go_back()
    agent.keyboard.press("j")
    agent.keyboard.press("j")
    agent.keyboard.press("Enter")
    expect(agent).to_have_url(f"{desk.url}/workspace/tickets/{numbers[1]}")


def test_keys_do_nothing_while_typing_or_with_a_modifier(agent: Page) -> None:
    """/ puts the cursor in the search box; letters typed there (or in the view name, or on a
    list) stay there; Ctrl/Alt with a letter is the browser's, not ours."""
    agent.keyboard.press("j")
    first = _current(agent)
    agent.keyboard.press("/")
    search = agent.locator("#queue-q")
    expect(search).to_be_focused()
    agent.keyboard.type("jkxo?a")
    expect(search).to_have_value("jkxo?a")
    assert _current(agent) == first
    expect(agent.locator("#queue-help")).not_to_have_attribute("open", "")
    expect(agent.locator('input[name="tickets"]:checked')).to_have_count(0)

    agent.locator("#view-name").click()
    agent.keyboard.type("jj")
    expect(agent.locator("#view-name")).to_have_value("jj")
    agent.locator("#bulk-assignee").focus()
    agent.keyboard.press("j")  # a list picks by letter; the row stays
    assert _current(agent) == first

    agent.locator("h1").click()  # leave the fields
    agent.keyboard.press("Control+j")
    agent.keyboard.press("Alt+k")
    assert _current(agent) == first
    expect(agent).to_have_url(re.compile(r"/workspace$"))


def test_question_mark_opens_the_shortcut_help(agent: Page) -> None:
    """? opens the help (a <details> that also opens by click) and moves focus to it."""
    help_box = agent.locator("#queue-help")
    expect(help_box.locator("dl")).not_to_be_visible()
    agent.keyboard.press("?")
    expect(help_box).to_have_attribute("open", "")
    expect(help_box.locator("dl")).to_be_visible()
    expect(help_box.locator("summary")).to_be_focused()
    for key in ("j", "x", "a", "Enter", "/", "?"):
        expect(help_box.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$"))).to_have_count(1)


def test_a_assigns_the_current_ticket_to_me(agent: Page, desk: Desk) -> None:
    """a with nothing ticked assigns the current row to me through the bulk form."""
    agent.goto(f"{desk.url}/workspace?queue=unassigned")
    row = agent.locator(f'tr.queue-row[data-number="{desk.number}"]')
    expect(row.locator("td[data-label=Assignee]")).to_have_text("—")
    agent.keyboard.press("j")
    agent.keyboard.press("a")
    expect(agent.locator(".flash-success p")).to_have_text("1 ticket changed.")
    expect(agent).to_have_url(re.compile(r"/workspace\?queue=unassigned$"))
    expect(agent.locator("tr.queue-row")).to_have_count(0)  # it left the unassigned queue
    agent.goto(f"{desk.url}/workspace?queue=mine")
    expect(agent.locator(f'tr.queue-row[data-number="{desk.number}"] td[data-label=Assignee]')
           ).to_have_text("Li Wei")


def test_counts_refresh_every_30_seconds(agent: Page, desk: Desk) -> None:
    """A ticket that arrives while the page is open shows in the counts within 30 s,
    without a reload."""
    mine = agent.locator('.queue-nav [data-queue="mine"]')
    before = int(mine.inner_text())
    with desk.factory() as session:
        _repair(session, "The touchpad stopped working.")
        session.commit()
    agent.clock.run_for("00:29")
    expect(mine).to_have_text(str(before))
    agent.clock.run_for("00:02")
    expect(mine).to_have_text(str(before + 1))
