"""A live Docket (real HTTP server on a free port, demo data) and headless Chromium.

Chromium is Debian's (``/usr/bin/chromium``); Playwright never downloads a browser here.
Under CI=true a missing Chromium fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from app import create_app
from app.demo import seed_demo
from core.db import make_sessionmaker
from core.people import get_user_by_email
from runtime.submissions import submit_ticket
from runtime.tickets.changes import update_ticket
from tests.conftest import _database_url, fresh_database, require_service

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    """Debian's Chromium binary, or skip/fail."""
    path = os.environ.get("CHROMIUM") or shutil.which("chromium")
    if not path:
        require_service("Chromium", "install Debian's chromium package")
    return str(path)


@pytest.fixture(scope="session")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Docket served over HTTP on 127.0.0.1 with a fresh, seeded database of its own."""
    root = tmp_path_factory.mktemp("live")
    base = make_url(_database_url(root))
    url = str(base.set(database=f"{base.database}_live")) if base.drivername.startswith(
        "postgresql") else f"sqlite:///{root / 'live.db'}"
    engine = fresh_database(url)
    with make_sessionmaker(engine)() as session:
        seed_demo(session=session, only_if_empty=False)
        session.commit()
    app = create_app({"DATABASE_URL": url, "UPLOAD_ROOT": str(root / "uploads"),
                      "REDIS_URL": None, "RATELIMIT_ENABLED": False},
                     session_factory=make_sessionmaker(engine))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    engine.dispose()


@dataclass(frozen=True)
class Desk:
    """A live Docket with the demo data and one unassigned repair ticket (``number``)."""

    url: str
    factory: sessionmaker[Session]
    number: int


@contextmanager
def serve_desk(root: Path, name: str,
               prepare: Callable[[Session], None] | None = None) -> Iterator[Desk]:
    """Serve a fresh demo database (``<test db>_<name>`` on PostgreSQL) with one repair
    ticket in the Repair north queue that nobody has taken; ``prepare`` may add more."""
    base = make_url(_database_url(root))
    url = str(base.set(database=f"{base.database}_{name}")) if base.drivername.startswith(
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
        # Li Wei, whom the flow picked, hands it back to his team's queue: nobody has it now
        update_ticket(session=session, ticket=ticket, assignee=None, actor=get_user_by_email(
            session=session, email="agent1@example.com"))
        number = ticket.number
        if prepare is not None:
            prepare(session)
        session.commit()
    app = create_app({"DATABASE_URL": url, "UPLOAD_ROOT": str(root / "uploads"),
                      "REDIS_URL": None, "RATELIMIT_ENABLED": False},
                     session_factory=factory)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Desk(f"http://127.0.0.1:{server.server_port}", factory, number)
    finally:
        server.shutdown()
        engine.dispose()


def watch_console(page: Page) -> list[str]:
    """Collect the page's console errors and uncaught exceptions (422 answers are on purpose)."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text)
            if m.type == "error" and "status of 422" not in m.text else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def sign_in_as(page: Page, base: str, email: str, password: str = "docket-demo") -> None:
    """Sign in through the login page, wherever the person lands."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Headless Chromium."""
    executable = chromium_path()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh English desktop page that fails the test on any console error."""
    context = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # A form sent back with problems is answered 422 on purpose; Chromium logs that status.
    errors = watch_console(page)
    yield page
    context.close()
    assert errors == [], errors


def sign_in(page: Page, base: str, email: str, password: str = "docket-demo") -> None:
    """Sign in through the login page."""
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/portal")


def screenshot_dir() -> Path:
    """Where browser tests leave their screenshots (git-ignored)."""
    path = Path(__file__).resolve().parents[2] / "screenshots"
    path.mkdir(exist_ok=True)
    return path
