"""Layout in a real browser: the main pages never scroll sideways on a phone (390 px) or a
laptop (1280 px), in English and Chinese, even with a long unbroken URL in the ticket; the
staff header keeps to one line at 1280 px."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import get_user_by_email
from runtime.knowledge import service as kb
from runtime.tickets.comments import add_comment
from runtime.tickets.models import Ticket
from tests.e2e.conftest import Desk, serve_desk, sign_in_as, watch_console

pytestmark = pytest.mark.browser

LONG_URL = "https://support.example.com/" + "/".join(["firmware-release-notes"] * 8)


def _worked(session: Session) -> None:
    """A conversation with long unbroken text, and a published article."""
    ticket = session.scalar(select(Ticket))
    agent = get_user_by_email(session=session, email="agent1@example.com")
    admin = get_user_by_email(session=session, email="admin@example.com")
    add_comment(session=session, ticket=ticket, author=agent, internal=True,
                body=f"@[Ada Admin] the vendor says {LONG_URL}")
    add_comment(session=session, ticket=ticket, author=agent,
                body=f"Please follow {LONG_URL} and restart.")
    article = kb.create_article(
        session=session, actor=admin, category="laptops",
        title={"en": "Screen flickers after an update", "zh-CN": "更新后屏幕闪烁"},
        body={"en": f"Install the newest driver: {LONG_URL}",
              "zh-CN": f"安装最新的驱动：{LONG_URL}"})
    kb.set_published(session=session, actor=admin, article_id=article.id)


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desk]:
    """The demo with one worked ticket and one article."""
    with serve_desk(tmp_path_factory.mktemp("live-l"), "live_l", _worked) as served:
        yield served


def _pages(number: int) -> dict[str, list[str]]:
    """Who looks at which pages."""
    return {
        "requester@example.com": ["/portal", "/portal/forms/repair", "/portal/tickets",
                                  f"/portal/tickets/{number}", "/portal/kb", "/portal/kb/1"],
        "agent1@example.com": ["/workspace", f"/workspace/tickets/{number}", "/workspace/tasks",
                               "/workspace/kb", "/workspace/kb/1", "/notifications"],
        "admin@example.com": ["/admin/audit", f"/admin/audit?entity=ticket&id={number}",
                              "/workspace"],
    }


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_scrolls_sideways(browser: Browser, desk: Desk, width: int, lang: str) -> None:
    """document.documentElement.scrollWidth never exceeds the window's width."""
    wide: list[str] = []
    errors: list[str] = []
    for email, paths in _pages(desk.number).items():
        context = browser.new_context(viewport={"width": width, "height": 900})
        context.add_cookies([{"name": "lang", "value": lang, "url": desk.url}])
        page = context.new_page()
        errors += watch_console(page)
        sign_in_as(page, desk.url, email)
        for path in paths:
            response = page.goto(desk.url + path)
            assert response is not None and response.status == 200, path
            scroll, inner = page.evaluate(
                "[document.documentElement.scrollWidth, window.innerWidth]")
            if scroll > inner:
                wide.append(f"{path} as {email}: {scroll} > {inner}")
        context.close()
    assert wide == [] and errors == [], (wide, errors)


@pytest.mark.parametrize("email", ["agent1@example.com", "admin@example.com"])
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_staff_header_is_one_line_at_1280(browser: Browser, desk: Desk, email: str,
                                          lang: str) -> None:
    """Every header link, the language switch and the sign-out button share one row."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "lang", "value": lang, "url": desk.url}])
    page = context.new_page()
    sign_in_as(page, desk.url, email)
    items = page.locator(".site-header").locator(".main-nav a, .lang-switch, .logout-form .btn")
    expect(items.first).to_be_visible()
    middles = items.evaluate_all("els => els.map(e => {"
                                 " const r = e.getBoundingClientRect();"
                                 " return r.top + r.height / 2; })")
    assert len(middles) >= 6 and max(middles) - min(middles) < 4, middles
    context.close()
