"""Writing, publishing, reading, searching and suggesting knowledge-base articles.

Agents and admins write; designers read everything; requesters read published articles
only (a draft is "not found" for them). Services flush; the caller commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import utcnow
from core.errors import Conflict, InvalidSubmission, NotFound, PermissionDenied, Problem
from core.people import Role, User
from runtime.knowledge.models import Article, ArticleStatus
from runtime.knowledge.search import index_text, matching, query_terms
from runtime.tickets.models import Ticket, TicketEvent
from runtime.tickets.service import get_ticket

LOCALES = ("en", "zh-CN")
MAX_TITLE = 300
MAX_BODY = 100_000
MAX_CATEGORY = 100
WRITERS = frozenset({Role.AGENT, Role.ADMIN})
READERS = frozenset({Role.AGENT, Role.ADMIN, Role.DESIGNER})


def can_write(user: User) -> bool:
    """Agents and admins write articles."""
    return user.role in WRITERS


def can_read_drafts(user: User) -> bool:
    """Staff see drafts; requesters see published articles only."""
    return user.role in READERS


def _texts(value: Any, pointer: str, limit: int, problems: list[Problem]) -> dict[str, str]:
    """A {locale: text} document, checked; a plain string counts as English."""
    if isinstance(value, str):
        value = {"en": value}
    if not isinstance(value, dict):
        problems.append(Problem(pointer, "type", "Give a text per language."))
        return {}
    texts: dict[str, str] = {}
    for locale, text in value.items():
        if locale not in LOCALES:
            problems.append(Problem(f"{pointer}/{locale}", "enum",
                                    f"Languages are {', '.join(LOCALES)}."))
        elif not isinstance(text, str):
            problems.append(Problem(f"{pointer}/{locale}", "type", "Give a text."))
        elif len(text) > limit:
            problems.append(Problem(f"{pointer}/{locale}", "maxLength", "The text is too long.",
                                    {"limit": limit}))
        elif text.strip():
            texts[locale] = text.strip() if limit == MAX_TITLE else text
    return texts


def _check(title: Any, body: Any, category: Any) -> tuple[dict[str, str], dict[str, str], str]:
    problems: list[Problem] = []
    titles = _texts(title, "/title", MAX_TITLE, problems)
    bodies = _texts(body if body is not None else {}, "/body", MAX_BODY, problems)
    if not titles and not any(p.pointer.startswith("/title") for p in problems):
        problems.append(Problem("/title", "required", "Give the article a title."))
    if not isinstance(category, str) or len(category) > MAX_CATEGORY:
        problems.append(Problem("/category", "maxLength", "The category is too long.",
                                {"limit": MAX_CATEGORY}))
        category = ""
    if problems:
        raise InvalidSubmission(problems)
    return titles, bodies, category.strip()


def _index(article: Article) -> None:
    article.search_text = index_text(article.category, *article.title.values(),
                                     *article.body.values())


def _writer(actor: User) -> None:
    if not can_write(actor):
        raise PermissionDenied("Only agents and admins write knowledge-base articles.")


def create_article(*, session: Session, actor: User, title: Any, body: Any = None,
                   category: str = "", source_ticket: Ticket | None = None) -> Article:
    """A new draft article."""
    _writer(actor)
    titles, bodies, category = _check(title, body, category)
    article = Article(title=titles, body=bodies, category=category, status=ArticleStatus.DRAFT,
                      created_by_id=actor.id, updated_by_id=actor.id,
                      source_ticket_id=source_ticket.id if source_ticket else None)
    _index(article)
    session.add(article)
    session.flush()
    return article


def update_article(*, session: Session, actor: User, article_id: int, title: Any = None,
                   body: Any = None, category: str | None = None,
                   revision: int | None = None) -> Article:
    """Change an article's texts or category; ``revision`` guards against lost edits."""
    _writer(actor)
    article = get_article(session=session, viewer=actor, article_id=article_id)
    if revision is not None and revision != article.revision:
        raise Conflict("Someone else changed this article in the meantime.")
    titles, bodies, category = _check(
        article.title if title is None else title, article.body if body is None else body,
        article.category if category is None else category)
    article.title, article.body, article.category = titles, bodies, category
    article.updated_by_id = actor.id
    _index(article)
    session.flush()
    return article


def set_published(*, session: Session, actor: User, article_id: int,
                  published: bool = True) -> Article:
    """Publish an article (requesters see it) or take it back to draft."""
    _writer(actor)
    article = get_article(session=session, viewer=actor, article_id=article_id)
    article.status = ArticleStatus.PUBLISHED if published else ArticleStatus.DRAFT
    if published:
        article.published_at = utcnow()
    article.updated_by_id = actor.id
    session.flush()
    return article


def get_article(*, session: Session, viewer: User, article_id: int) -> Article:
    """One article the viewer may read."""
    article = session.get(Article, article_id)
    if article is None or (article.status != ArticleStatus.PUBLISHED
                           and not can_read_drafts(viewer)):
        raise NotFound("There is no such article.")
    return article


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """A page of articles and the offset of the next page (None at the end)."""

    articles: list[Article]
    next_offset: int | None


def list_articles(*, session: Session, viewer: User, q: str = "", category: str | None = None,
                  status: str | None = None, limit: int = 50, offset: int = 0) -> ArticlePage:
    """Articles the viewer may read: matching ``q`` (best first) or newest first."""
    terms = query_terms(q)
    if terms:
        query = matching(session, terms, any_term=False)
    elif q.strip():
        return ArticlePage([], None)  # only punctuation: nothing to look for
    else:
        query = select(Article).order_by(Article.updated_at.desc(), Article.id.desc())
    if not can_read_drafts(viewer):
        query = query.where(Article.status == ArticleStatus.PUBLISHED)
    elif status:
        query = query.where(Article.status == status)
    if category:
        query = query.where(Article.category == category)
    found = list(session.scalars(query.offset(offset).limit(limit + 1)))
    more = len(found) > limit
    return ArticlePage(found[:limit], offset + limit if more else None)


def categories(*, session: Session, viewer: User) -> list[str]:
    """The categories in use (of published articles, for requesters)."""
    query = select(Article.category).where(Article.category != "").distinct()
    if not can_read_drafts(viewer):
        query = query.where(Article.status == ArticleStatus.PUBLISHED)
    return sorted(session.scalars(query))


def suggest_articles(*, session: Session, text: str, limit: int = 5) -> list[Article]:
    """Published articles sharing words with ``text`` (a ticket's subject and data)."""
    terms = query_terms(text[:2000], drop_common=True)
    if not terms:
        return []
    query = matching(session, terms, any_term=True).where(
        Article.status == ArticleStatus.PUBLISHED)
    return list(session.scalars(query.limit(limit)))


def ticket_text(ticket: Ticket) -> str:
    """The words of a ticket to look for articles with: its subject and free-text values
    (not emails, web addresses or codes, which would match articles by their links)."""
    values = [v for v in (ticket.data or {}).values() if isinstance(v, str)]
    words = [w for text in [ticket.subject, *values] for w in text.split()
             if "@" not in w and "://" not in w and not w.startswith("www.")]
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class ResolutionDraft:
    """What "save this resolution as an article" fills the editor with."""

    title: str
    body: str
    ticket: Ticket


def resolution_draft(*, session: Session, viewer: User, number: int) -> ResolutionDraft:
    """The ticket's subject and its last public reply, for a new article."""
    _writer(viewer)
    ticket = get_ticket(session=session, viewer=viewer, number=number)
    replies = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id,
                                  TicketEvent.kind == "comment")
        .order_by(TicketEvent.id.desc()).limit(50))
    body = next((e.payload.get("body", "") for e in replies
                 if not e.payload.get("internal")), "")
    return ResolutionDraft(ticket.subject, body, ticket)
