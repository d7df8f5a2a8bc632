"""Browser: an agent publishes an article; a requester filling a form is offered it."""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import require_service

MANIFEST = Path(__file__).resolve().parents[2] / "app/static/dist/.vite/manifest.json"


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "docket-demo")
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def test_requester_is_offered_a_matching_article_while_typing(page: Page, live_url: str):
    """Published through the staff editor, the article shows up in the form's panel as the
    requester describes the problem, and its link opens the article."""
    if not MANIFEST.exists() or "src/kb-suggest.ts" not in json.loads(MANIFEST.read_text()):
        require_service("the built frontend", "run npm run build --prefix frontend")
    _sign_in(page, live_url, "agent1@example.com")
    page.goto(f"{live_url}/workspace/kb/new")
    page.fill("#title_en", "Crushed parcel: how to get your money back")
    page.fill("#body_en", "Take a photo of the **crushed** box, then ask for a refund.")
    page.click(".kb-editor button[type=submit]")
    page.click("button[value=publish]")
    expect(page.locator(".flash-success")).to_contain_text("Published")
    page.click("button:has-text('Sign out')")

    _sign_in(page, live_url, "requester@example.com")
    page.goto(f"{live_url}/portal/forms/refund")
    panel = page.locator("[data-kb-suggest]")
    expect(panel.locator("li")).to_have_count(0)
    page.fill("textarea[name=description]", "The parcel came crushed")
    link = panel.get_by_role("link", name="Crushed parcel: how to get your money back")
    expect(link).to_be_visible()
    page.goto(live_url + (link.get_attribute("href") or ""))
    expect(page.locator(".kb-body strong")).to_have_text("crushed")
