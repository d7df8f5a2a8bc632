"""A requester fills the refund form in a real browser and finds the ticket."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import screenshot_dir, sign_in
from tests.forms_fixtures import PNG

pytestmark = pytest.mark.browser


def test_requester_refund_flow(page: Page, live_url: str) -> None:
    """Order number and amount appear for "refund"; the ticket shows under my tickets."""
    sign_in(page, live_url, "requester@example.com")
    page.get_by_role("link", name="Refund, exchange or question").first.click()
    order = page.get_by_label("Order number")
    expect(order).to_be_hidden()
    page.get_by_label("Category").select_option("question")
    expect(order).to_be_hidden()
    page.get_by_label("Category").select_option("refund")
    expect(order).to_be_visible()
    expect(page.get_by_label("Amount to refund")).to_be_visible()

    page.get_by_role("button", name=re.compile("Submit")).click()
    expect(page.locator("[role=alert]").first).to_be_visible()  # the error summary
    page.screenshot(path=str(screenshot_dir() / "e2e-refund-errors.png"), full_page=True)

    page.get_by_label("Category").select_option("refund")
    page.get_by_label("Order number").fill("OD12345678")
    page.get_by_label("Amount to refund").fill("49.90")
    page.get_by_label("Description").fill("The kettle arrived broken.")
    page.get_by_label("Email for our answer").fill("riley@example.com")
    page.get_by_label("I confirm the information is correct").check()
    page.get_by_role("button", name=re.compile("Submit")).click()

    page.wait_for_url(re.compile(r"/portal/tickets/\d+$"))
    number = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text(f"#{number}").first).to_be_visible()
    expect(page.get_by_text("OD12345678")).to_be_visible()

    page.goto(f"{live_url}/portal/tickets")
    expect(page.get_by_role("link", name=re.compile(f"#?{number}")).first).to_be_visible()


def test_form_works_without_javascript(browser: Browser, live_url: str) -> None:
    """With JavaScript off every field shows, and a question is accepted without an order."""
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    sign_in(page, live_url, "requester@example.com")
    page.get_by_role("link", name="Refund, exchange or question").first.click()
    expect(page.get_by_label("Order number")).to_be_visible()
    page.get_by_label("Category").select_option("question")
    page.get_by_label("Order number").fill("not an order")  # hidden for questions: dropped
    page.get_by_label("Description").fill("Do you ship to Macau?")
    page.get_by_label("Email for our answer").fill("riley@example.com")
    page.get_by_label("I confirm the information is correct").check()
    page.get_by_role("button", name=re.compile("Submit")).click()
    page.wait_for_url(re.compile(r"/portal/tickets/\d+$"))
    expect(page.get_by_text("not an order")).to_have_count(0)
    context.close()


def test_portal_in_chinese(browser: Browser, live_url: str) -> None:
    """A browser asking for Chinese gets the portal and the form in Chinese."""
    context = browser.new_context(locale="zh-CN", extra_http_headers={
        "Accept-Language": "zh-CN,zh;q=0.9"}, viewport={"width": 375, "height": 800})
    page = context.new_page()
    sign_in(page, live_url, "requester@example.com")
    page.get_by_role("link", name="退款、换货或咨询").first.click()
    expect(page.get_by_label("类别")).to_be_visible()
    page.get_by_label("类别").select_option("refund")
    expect(page.get_by_label("订单号")).to_be_visible()
    page.screenshot(path=str(screenshot_dir() / "e2e-refund-zh-phone.png"), full_page=True)
    context.close()


def test_file_inputs_speak_the_pages_language(browser: Browser, live_url: str) -> None:
    """The browser words a file input's button in its own language ("Choose Files"); the
    page shows its own button and the chosen names instead, in Chinese here."""
    context = browser.new_context(locale="en-US", viewport={"width": 375, "height": 800})
    page = context.new_page()
    sign_in(page, live_url, "requester@example.com")
    page.goto(f"{live_url}/portal/forms/repair?lang=zh-CN")
    box = page.locator(".file-box")
    expect(box.locator(".file-pick")).to_have_text("选择文件")
    expect(box.locator(".file-chosen")).to_have_text("未选择文件")
    box.locator("input[type=file]").set_input_files(files=[
        {"name": "划痕.png", "mimeType": "image/png", "buffer": PNG}])
    expect(box.locator(".file-chosen")).to_have_text("划痕.png")
    context.close()
