"""Smoke script (not a pytest test): sign in, walk the portal, save screenshots.

    .venv/bin/python tests/browser/portal_screens.py http://127.0.0.1:5055 screenshots

Uses the Debian chromium binary; prints console errors and failed requests (CSP!).
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5055"
OUT = Path(sys.argv[2] if len(sys.argv) > 2 else "screenshots")
WIDTHS = [1280, 375]
LANGS = ["en", "zh-CN"]


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(OUT / f"{name}.png"), full_page=True)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-background-networking",
                  "--disable-component-update", "--disable-gpu"])
        for lang in LANGS:
            for width in WIDTHS:
                tag = f"{lang}-{width}"
                context = browser.new_context(viewport={"width": width, "height": 900})
                context.add_cookies([{"name": "lang", "value": lang, "url": BASE}])
                page = context.new_page()
                page.on("console", lambda m, t=tag: problems.append(
                            f"{t} console {m.type}: {m.text}")
                        if m.type in ("error", "warning") and "status of 4" not in m.text else None)
                page.on("pageerror", lambda e, t=tag: problems.append(f"{t} pageerror: {e}"))
                page.goto(f"{BASE}/login")
                shot(page, f"login-{tag}")
                page.fill("#login-email", "requester@example.com")
                page.fill("#login-password", "wrong")
                page.click("button[type=submit]")
                shot(page, f"login-error-{tag}")
                page.fill("#login-email", "requester@example.com")
                page.fill("#login-password", "docket-demo")
                page.click("button[type=submit]")
                page.wait_for_url("**/portal")
                shot(page, f"portal-{tag}")

                page.goto(f"{BASE}/portal/forms/refund")
                assert page.locator("html.js").count() == 1
                order_visible = page.locator("[data-key=order_id]").is_visible()
                shot(page, f"refund-{tag}")
                page.select_option("#f-category", "refund")
                if order_visible or not page.locator("#f-order_id").is_visible():
                    problems.append(f"{tag}: order_id visibility did not follow category")
                if not page.locator("#f-amount").is_visible():
                    problems.append(f"{tag}: amount not visible after choosing refund")
                shot(page, f"refund-chosen-{tag}")
                page.fill("#f-order_id", "12345")
                page.click("form#docket-form button[type=submit]")
                page.wait_for_load_state()
                shot(page, f"refund-errors-{tag}")
                page.fill("#f-order_id", "OD12345678")
                page.fill("#f-amount", "129.5")
                page.fill("#f-description", "The blender arrived broken.\n\nPlease refund.")
                page.fill("#f-email", "riley@example.com")
                page.check("#f-confirm")
                page.click("form#docket-form button[type=submit]")
                page.wait_for_load_state()
                shot(page, f"ticket-{tag}")

                page.goto(f"{BASE}/portal/forms/repair")
                shot(page, f"repair-{tag}")
                page.goto(f"{BASE}/portal/tickets")
                shot(page, f"tickets-{tag}")
                page.goto(f"{BASE}/portal/tickets/999999")
                shot(page, f"notfound-{tag}")
                context.close()
        browser.close()
    print("\n".join(problems) or "no console problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
