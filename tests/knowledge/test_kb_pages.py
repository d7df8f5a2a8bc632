"""Knowledge-base pages: the staff editor, requester reading, the panels on other pages."""

from __future__ import annotations

import re

from core.people import Role
from runtime.knowledge import service
from runtime.submissions import submit_ticket
from runtime.tickets.comments import add_comment
from tests.conftest import csrf_token

DATA = {"category": "question", "description": "My VPN keeps dropping",
        "email": "me@example.com", "confirm": True}


def _article(session, agent, publish=True, **kw):
    article = service.create_article(session=session, actor=agent,
                                     title=kw.get("title", {"en": "Fix a dropping VPN"}),
                                     body=kw.get("body", {"en": "Restart the **client**."}),
                                     category="Network")
    if publish:
        service.set_published(session=session, actor=agent, article_id=article.id)
    session.commit()
    return article


def test_agent_writes_and_publishes_through_the_pages(client, make_user, login):
    """New article -> saved as draft -> publish; the page shows sanitized Markdown."""
    agent = make_user(Role.AGENT)
    login(agent)
    assert client.get("/workspace/kb").status_code == 200
    token = csrf_token(client, "/workspace/kb/new")
    created = client.post("/workspace/kb/new", data={
        "csrf_token": token, "title_en": "Printer jams", "title_zh": "打印机卡纸",
        "category": "Office", "body_en": "Open tray 2 <script>alert(1)</script>",
        "body_zh": ""})
    assert created.status_code == 303
    page = client.get(created.headers["Location"]).get_data(as_text=True)
    assert "Printer jams" in page and "<script>alert" not in page and "Draft" in page
    number = int(created.headers["Location"].rsplit("/", 1)[1])
    published = client.post(f"/workspace/kb/{number}/publish", data={
        "csrf_token": token, "action": "publish"}, follow_redirects=True)
    assert "Published: requesters can read it now." in published.get_data(as_text=True)


def test_editor_reports_problems_and_keeps_the_text(client, make_user, login):
    """A missing title is shown next to the field and what was typed stays."""
    login(make_user(Role.AGENT))
    response = client.post("/workspace/kb/new", data={
        "csrf_token": csrf_token(client, "/workspace/kb/new"), "title_en": "",
        "title_zh": "", "body_en": "kept text", "category": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "error-summary" in html and "kept text" in html


def test_stale_edit_is_a_conflict(client, session, make_user, login):
    """Saving with an old revision is refused (409) and nothing is overwritten."""
    agent = make_user(Role.AGENT)
    article = _article(session, agent, publish=False)
    login(agent)
    response = client.post(f"/workspace/kb/{article.id}/edit", data={
        "csrf_token": csrf_token(client, f"/workspace/kb/{article.id}/edit"),
        "title_en": "Changed", "revision": "99"})
    assert response.status_code == 409


def test_roles_on_the_staff_pages(client, session, make_user, login):
    """Designers read but see no write buttons and cannot write; requesters are refused."""
    article = _article(session, make_user(Role.AGENT), publish=False)
    login(make_user(Role.DESIGNER))
    page = client.get(f"/workspace/kb/{article.id}").get_data(as_text=True)
    assert "Fix a dropping VPN" in page and "/edit" not in page
    assert client.get("/workspace/kb/new").status_code == 403
    client.post("/logout")
    login(make_user(Role.REQUESTER))
    assert client.get("/workspace/kb").status_code == 403


def test_requesters_read_published_articles(client, session, make_user, login):
    """/portal/kb lists and searches published articles; drafts are not found."""
    agent = make_user(Role.AGENT)
    live = _article(session, agent)
    draft = _article(session, agent, publish=False, title={"en": "VPN draft notes"})
    login(make_user(Role.REQUESTER))
    listing = client.get("/portal/kb?q=vpn").get_data(as_text=True)
    assert "Fix a dropping VPN" in listing and "VPN draft notes" not in listing
    assert "<strong>client</strong>" in client.get(f"/portal/kb/{live.id}").get_data(
        as_text=True)
    assert client.get(f"/portal/kb/{draft.id}").status_code == 404
    assert client.get('/portal/kb?q="NEAR(*').status_code == 200
    assert client.get("/workspace/kb").status_code == 403


def test_anonymous_is_sent_to_login(client):
    """Strangers are redirected to sign in."""
    for path in ("/portal/kb", "/workspace/kb", "/admin/audit"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_ticket_page_suggests_articles_and_offers_to_save(client, session, make_form,
                                                                  make_user, login):
    """The ticket page lists matching articles and starts an article from the resolution."""
    make_form()
    agent = make_user(Role.AGENT)
    live = _article(session, agent)
    ticket, _ = submit_ticket(session=session, form_key="refund", data=DATA,
                              requester=make_user())
    add_comment(session=session, ticket=ticket, author=agent, body="Reinstall the client.")
    add_comment(session=session, ticket=ticket, author=agent, body="secret", internal=True)
    session.commit()
    login(make_user(Role.ADMIN))
    html = client.get(f"/workspace/tickets/{ticket.number}").get_data(as_text=True)
    assert f'href="/workspace/kb/{live.id}"' in html
    assert f'href="/workspace/kb/new?ticket={ticket.number}"' in html
    assert f"/admin/audit?entity=ticket&amp;id={ticket.number}" in html
    editor = client.get(f"/workspace/kb/new?ticket={ticket.number}").get_data(as_text=True)
    assert ticket.subject in editor and "Reinstall the client." in editor
    assert "secret" not in editor  # internal notes are not a resolution
    saved = client.post("/workspace/kb/new", data={
        "csrf_token": csrf_token(client, "/workspace/kb"), "ticket": ticket.number,
        "title_en": "VPN reinstall", "body_en": "Reinstall the client."})
    article = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert f'href="/workspace/tickets/{ticket.number}"' in article


def test_portal_form_has_the_suggestion_panel(client, make_form, make_user, login):
    """The form page carries the panel (with a plain link for pages without script)."""
    make_form()
    login(make_user())
    html = client.get("/portal/forms/refund").get_data(as_text=True)
    assert "data-kb-suggest" in html and 'data-endpoint="/api/v1/kb/suggest"' in html
    assert re.search(r'<a href="/portal/kb">', html)


def test_pages_speak_chinese(client, session, make_user, login):
    """With the language cookie set to zh-CN the KB and audit pages are in Chinese, and an
    article shows its Chinese body first with the English one behind a toggle."""
    agent = make_user(Role.AGENT)
    article = _article(session, agent, title={"en": "Refunds", "zh-CN": "退款"},
                       body={"en": "English body", "zh-CN": "中文正文"})
    client.set_cookie("lang", "zh-CN")
    login(make_user(Role.REQUESTER))
    listing = client.get("/portal/kb").get_data(as_text=True)
    assert "帮助文章" in listing and "退款" in listing
    page = client.get(f"/portal/kb/{article.id}").get_data(as_text=True)
    assert page.index("中文正文") < page.index("English body") and "阅读英文版" in page
    client.post("/logout")
    login(make_user(Role.ADMIN))
    assert "审计日志" in client.get("/admin/audit").get_data(as_text=True)
