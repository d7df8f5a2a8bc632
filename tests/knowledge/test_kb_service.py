"""Knowledge base services: sanitized rendering, drafts vs published, search, suggestions."""

from __future__ import annotations

import pytest

from core.errors import InvalidSubmission, NotFound, PermissionDenied
from core.people import Role
from runtime.knowledge import service
from runtime.knowledge.render import render_markdown
from runtime.knowledge.search import index_text, query_terms

HOSTILE_QUERIES = ['"', '""', "*", "AND", "OR NOT", "NEAR(", "vpn NEAR(", "a:b", "'", "\\",
                   "(((", ")", "{}", "^", "-vpn", "!!", "&|", "%_", "退款 OR", "\x00", " ",
                   "x" * 400, "col:vpn", "'; DROP TABLE kb_articles; --"]


def test_scripts_event_handlers_and_javascript_links_are_removed():
    """Raw HTML is escaped; script tags, on* attributes and javascript: URLs never survive."""
    html = render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[click](javascript:alert(1)) [ok](https://example.com) "
        "[data](data:text/html;base64,PHNjcmlwdD4=)\n\n![pic](javascript:alert(2))")
    assert "<script" not in html and "&lt;script&gt;" in html  # shown as text, not run
    assert "<img src=\"x\"" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html and 'src="javascript' not in html
    assert 'href="data:' not in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">ok</a>' in html


def test_tables_and_code_render():
    """Markdown tables and fenced code become HTML tables and pre/code blocks."""
    html = render_markdown("| Step | Where |\n|---|---|\n| 1 | Settings |\n\n"
                           "```\nping 10.0.0.1 && echo <ok>\n```\n\nUse `ipconfig`.")
    assert "<table>" in html and "<th>Step</th>" in html and "<td>Settings</td>" in html
    assert "<pre><code>ping 10.0.0.1 &amp;&amp; echo &lt;ok&gt;\n</code></pre>" in html
    assert "<code>ipconfig</code>" in html


def test_chinese_words_are_found_inside_longer_runs():
    """Chinese text has no spaces: pairs of characters are indexed and searched."""
    assert "退款" in index_text("申请退款流程").split()
    assert query_terms("如何退款") == ["如何", "何退", "退款"]
    assert query_terms("the vpn is down", drop_common=True) == ["vpn", "down"]


@pytest.fixture
def articles(session, make_user):
    agent = make_user(Role.AGENT)
    vpn = service.create_article(session=session, actor=agent,
                                 title={"en": "Reset your VPN password"},
                                 body={"en": "Open **Settings**, then VPN."}, category="Network")
    refund = service.create_article(
        session=session, actor=agent, title={"zh-CN": "退款流程", "en": "Refund process"},
        body={"zh-CN": "申请退款需要订单号。"}, category="Orders")
    draft = service.create_article(session=session, actor=agent,
                                   title={"en": "VPN internals (draft)"}, body={"en": "secret"})
    service.set_published(session=session, actor=agent, article_id=vpn.id)
    service.set_published(session=session, actor=agent, article_id=refund.id)
    session.commit()
    return agent, vpn, refund, draft


def test_requesters_see_published_articles_only(session, make_user, articles):
    """A draft is 'not found' for a requester, in lists, search and by id."""
    _agent, vpn, _refund, draft = articles
    requester = make_user(Role.REQUESTER)
    listed = service.list_articles(session=session, viewer=requester, q="vpn").articles
    assert [a.id for a in listed] == [vpn.id]
    with pytest.raises(NotFound):
        service.get_article(session=session, viewer=requester, article_id=draft.id)
    designer = make_user(Role.DESIGNER)
    staff = service.list_articles(session=session, viewer=designer, q="vpn").articles
    assert {a.id for a in staff} == {vpn.id, draft.id}


def test_search_in_english_and_chinese(session, articles):
    """Words match case-insensitively and by prefix; Chinese by character pairs."""
    agent, vpn, refund, _draft = articles
    assert [a.id for a in service.list_articles(session=session, viewer=agent,
                                                q="PASSW").articles] == [vpn.id]
    assert [a.id for a in service.list_articles(session=session, viewer=agent,
                                                q="退款").articles] == [refund.id]
    assert service.list_articles(session=session, viewer=agent, q="nothing-like-it").articles == []


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
def test_hostile_queries_never_fail(session, articles, query):
    """Operators, quotes, brackets and SQL in a query are just characters."""
    agent = articles[0]
    service.list_articles(session=session, viewer=agent, q=query)
    service.suggest_articles(session=session, text=query)


def test_suggestions_match_any_word_of_a_ticket(session, articles):
    """Suggestions take published articles sharing any word; drafts are never suggested."""
    _agent, vpn, refund, _draft = articles
    found = service.suggest_articles(session=session, text="My VPN stopped working today")
    assert [a.id for a in found] == [vpn.id]
    assert [a.id for a in service.suggest_articles(session=session,
                                                   text="我要退款")] == [refund.id]
    assert service.suggest_articles(session=session, text="the and of") == []


def test_only_agents_and_admins_write(session, make_user):
    """Designers and requesters may not write; a title is required; sizes are bounded."""
    for role in (Role.DESIGNER, Role.REQUESTER):
        with pytest.raises(PermissionDenied):
            service.create_article(session=session, actor=make_user(role), title="x")
    agent = make_user(Role.AGENT)
    with pytest.raises(InvalidSubmission) as missing:
        service.create_article(session=session, actor=agent, title={"en": "  "})
    assert missing.value.problems[0].pointer == "/title"
    with pytest.raises(InvalidSubmission) as bad:
        service.create_article(session=session, actor=agent, title={"fr": "Bonjour"},
                               body={"en": "x" * (service.MAX_BODY + 1)})
    assert {p.pointer for p in bad.value.problems} == {"/title/fr", "/body/en"}


def test_update_reindexes_and_checks_the_revision(session, articles):
    """An edit is searchable at once; a stale revision is a conflict."""
    from core.errors import Conflict

    agent, vpn, _refund, _draft = articles
    service.update_article(session=session, actor=agent, article_id=vpn.id,
                           body={"en": "Use the Okta portal"}, revision=vpn.revision)
    session.commit()
    found = service.list_articles(session=session, viewer=agent, q="okta").articles
    assert [a.id for a in found] == [vpn.id]
    with pytest.raises(Conflict):
        service.update_article(session=session, actor=agent, article_id=vpn.id,
                               title="Old", revision=1)


def test_ticket_text_leaves_out_emails_and_links(session, make_user):
    """A ticket's email or web address does not pull in articles that merely link there."""
    from runtime.tickets.models import Ticket

    agent = make_user(Role.AGENT)
    linky = service.create_article(session=session, actor=agent, title="Contact IT",
                                   body={"en": "Write to it@example.com or "
                                               "https://intranet.example.com/it"})
    service.set_published(session=session, actor=agent, article_id=linky.id)
    ticket = Ticket(subject="Refund", data={"email": "me@example.com", "description":
                                            "Broken box", "url": "https://example.com/o/1"})
    text = service.ticket_text(ticket)
    assert text == "Refund Broken box"
    assert service.suggest_articles(session=session, text=text) == []
