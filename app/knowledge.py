"""Knowledge-base pages: the staff editor (/workspace/kb) and reading for requesters
(/portal/kb), plus the suggestion panels on the staff ticket page and the portal form.

Plain POST forms with CSRF tokens: every page works without JavaScript. Agents and admins
write; designers read; requesters read published articles only.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm.exc import StaleDataError

from app.auth import require_roles
from app.db import db
from app.extensions import current_language
from app.messages import problem_message
from core.errors import Conflict, InvalidSubmission
from core.people import Role
from runtime.knowledge import service
from runtime.knowledge.models import Article
from runtime.knowledge.render import plain_text, render_markdown
from runtime.tickets.models import Ticket

bp = Blueprint("kb_pages", __name__)
STAFF = (Role.AGENT, Role.DESIGNER)
WRITERS = (Role.AGENT,)
PAGE_SIZE = 20


def text_in(texts: dict[str, str], lang: str) -> str:
    """A {locale: text} value in the page language, else in the other one."""
    return texts.get(lang) or next((t for t in texts.values() if t), "")


def _listing(template: str, **extra: Any) -> Any:
    q = (request.args.get("q") or "").strip()[:500]
    category = (request.args.get("category") or "").strip()[:100] or None
    offset = max(0, min(request.args.get("offset", 0, type=int) or 0, 10_000))
    page = service.list_articles(session=db(), viewer=current_user, q=q, category=category,
                                 status=extra.pop("status", None), limit=PAGE_SIZE,
                                 offset=offset)
    return render_template(template, page=page, q=q, category=category, offset=offset,
                           categories=service.categories(session=db(), viewer=current_user),
                           lang=current_language(), **extra)


# --- staff ----------------------------------------------------------------------------------


@bp.get("/workspace/kb")
@require_roles(*STAFF)
def staff_list() -> Any:
    """Every article (drafts too), searchable, with a button to write one."""
    status = request.args.get("status")
    return _listing("kb/staff_list.html", status=status if status in ("draft", "published")
                    else None, can_write=service.can_write(current_user))


def _editor(article: Article | None, values: dict[str, Any], status: int = 200,
            errors: dict[str, str] | None = None, ticket: Ticket | None = None) -> Any:
    return render_template("kb/editor.html", article=article, values=values,
                           errors=errors or {}, ticket=ticket, lang=current_language()), status


def _form_values() -> dict[str, Any]:
    form = request.form
    return {"title": {"en": form.get("title_en", ""), "zh-CN": form.get("title_zh", "")},
            "body": {"en": form.get("body_en", ""), "zh-CN": form.get("body_zh", "")},
            "category": form.get("category", "")}


def _errors(exc: InvalidSubmission) -> dict[str, str]:
    return {p.pointer.split("/")[1]: problem_message(p) for p in exc.problems}


@bp.route("/workspace/kb/new", methods=["GET", "POST"])
@require_roles(*WRITERS)
def staff_new() -> Any:
    """Write an article; ``?ticket=<number>`` starts from that ticket's resolution."""
    ticket = None
    number = request.values.get("ticket", type=int)
    if number:
        draft = service.resolution_draft(session=db(), viewer=current_user, number=number)
        ticket = draft.ticket
    if request.method == "GET":
        values: dict[str, Any] = {"title": {}, "body": {}, "category": ""}
        if ticket is not None:
            key = "zh-CN" if (ticket.locale or "").startswith("zh") else "en"
            values = {"title": {key: draft.title}, "body": {key: draft.body}, "category": ""}
        return _editor(None, values, ticket=ticket)
    values = _form_values()
    try:
        article = service.create_article(session=db(), actor=current_user,
                                         title=values["title"], body=values["body"],
                                         category=values["category"], source_ticket=ticket)
        db().commit()
    except InvalidSubmission as exc:
        db().rollback()
        return _editor(None, values, 422, _errors(exc), ticket)
    flash(_("The article was saved as a draft."), "success")
    return redirect(url_for("kb_pages.staff_article", article_id=article.id), 303)


@bp.get("/workspace/kb/<int:article_id>")
@require_roles(*STAFF)
def staff_article(article_id: int) -> Any:
    """An article as requesters will see it, with its state and the editing actions."""
    article = service.get_article(session=db(), viewer=current_user, article_id=article_id)
    source = db().get(Ticket, article.source_ticket_id) if article.source_ticket_id else None
    return render_template("kb/staff_article.html", article=article, source=source,
                           can_write=service.can_write(current_user), lang=current_language())


@bp.route("/workspace/kb/<int:article_id>/edit", methods=["GET", "POST"])
@require_roles(*WRITERS)
def staff_edit(article_id: int) -> Any:
    """Change an article; a concurrent edit is reported, not overwritten."""
    article = service.get_article(session=db(), viewer=current_user, article_id=article_id)
    if request.method == "GET":
        return _editor(article, {"title": article.title, "body": article.body,
                                 "category": article.category})
    values = _form_values()
    try:
        service.update_article(session=db(), actor=current_user, article_id=article_id,
                               title=values["title"], body=values["body"],
                               category=values["category"],
                               revision=request.form.get("revision", type=int))
        db().commit()
    except InvalidSubmission as exc:
        db().rollback()
        return _editor(article, values, 422, _errors(exc))
    except (Conflict, StaleDataError):
        db().rollback()
        flash(_("Someone else changed this in the meantime. Reload and try again."), "error")
        return _editor(article, values, 409)
    flash(_("Saved."), "success")
    return redirect(url_for("kb_pages.staff_article", article_id=article_id), 303)


@bp.post("/workspace/kb/<int:article_id>/publish")
@require_roles(*WRITERS)
def staff_publish(article_id: int) -> Any:
    """Publish the article, or (``action=unpublish``) take it back to draft."""
    published = request.form.get("action") != "unpublish"
    service.set_published(session=db(), actor=current_user, article_id=article_id,
                          published=published)
    db().commit()
    flash(_("Published: requesters can read it now.") if published
          else _("Back to draft: requesters no longer see it."), "success")
    return redirect(url_for("kb_pages.staff_article", article_id=article_id), 303)


# --- requesters -----------------------------------------------------------------------------


@bp.get("/portal/kb")
@require_roles()
def portal_list() -> Any:
    """Published articles, searchable by words in English or Chinese."""
    return _listing("kb/portal_list.html")


@bp.get("/portal/kb/<int:article_id>")
@require_roles()
def portal_article(article_id: int) -> Any:
    """One published article."""
    article = service.get_article(session=db(), viewer=current_user, article_id=article_id)
    if article.status != "published":  # staff previewing a draft use the staff page
        return redirect(url_for("kb_pages.staff_article", article_id=article_id))
    return render_template("kb/portal_article.html", article=article, lang=current_language())


# --- panels other pages include -------------------------------------------------------------


def ticket_suggestions(ticket: Ticket) -> list[Article]:
    """Published articles matching a ticket's subject and data (the staff ticket panel)."""
    return service.suggest_articles(session=db(), text=service.ticket_text(ticket), limit=5)


def register(app: Flask) -> None:
    """Register the pages and the helpers their templates use."""
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        kb_ticket_suggestions=ticket_suggestions, kb_text=text_in,
        kb_html=lambda source: Markup(render_markdown(source)),  # sanitized by nh3
        kb_excerpt=plain_text)
