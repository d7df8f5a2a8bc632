"""The knowledge base: list and search, read, write, publish, and suggestions while typing.

Agents and admins write; designers read everything; requesters read published articles
only. Bodies are Markdown; ``html`` carries them rendered and sanitized, per language.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from app.auth import require_roles
from app.db import db
from core.errors import Conflict
from core.people import Role
from runtime.knowledge import service
from runtime.knowledge.render import plain_text, render_markdown

blp = Blueprint("kb", __name__, url_prefix="/api/v1/kb",
                description="Knowledge base: articles in Markdown, search, suggestions.")
WRITERS = (Role.AGENT,)  # admins always may
Texts = {"description": "{locale: text} for en and/or zh-CN (a plain string means en)",
         "example": {"en": "Reset your VPN password", "zh-CN": "重置 VPN 密码"}}


def _ticket_number(article: Any) -> int | None:
    from runtime.tickets.models import Ticket

    if article.source_ticket_id is None:
        return None
    ticket = db().get(Ticket, article.source_ticket_id)
    return ticket.number if ticket else None


class ArticleSchema(Schema):
    """An article; ``html`` is the body rendered to sanitized HTML, per language."""

    id = fields.Integer()
    category = fields.String()
    title = fields.Dict(keys=fields.String(), values=fields.String())
    body = fields.Dict(keys=fields.String(), values=fields.String(),
                       metadata={"description": "Markdown per language"})
    html = fields.Function(lambda a: {k: render_markdown(v) for k, v in a.body.items()})
    status = fields.String(metadata={"description": "draft | published"})
    revision = fields.Integer(metadata={"description": "send it back in If-Match"})
    source_ticket = fields.Function(_ticket_number, allow_none=True, metadata={
        "description": "The number of the ticket this article was written from"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)


class ArticleInSchema(Schema):
    """A new article (a draft until published)."""

    title = fields.Raw(required=True, metadata=Texts)
    body = fields.Raw(load_default=dict, metadata={
        "description": "Markdown per language, {locale: text}"})
    category = fields.String(load_default="", validate=validate.Length(max=100))
    source_ticket = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "The number of the ticket whose resolution this article records"})


class ArticlePatchSchema(Schema):
    """Changes to an article."""

    title = fields.Raw(metadata=Texts)
    body = fields.Raw(metadata={"description": "Markdown per language, {locale: text}"})
    category = fields.String(validate=validate.Length(max=100))
    revision = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "the revision you read (or send If-Match)"})


class ArticleListArgsSchema(Schema):
    """Search and filters."""

    q = fields.String(load_default="", validate=validate.Length(max=500),
                      metadata={"description": "words to look for (English or Chinese)"})
    category = fields.String(validate=validate.Length(max=100))
    status = fields.String(validate=validate.OneOf(["draft", "published"]),
                           metadata={"description": "staff only; requesters see published"})
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000))


class ArticlePageSchema(Schema):
    """A page of articles."""

    items = fields.List(fields.Nested(ArticleSchema))
    next_offset = fields.Integer(allow_none=True)


class SuggestArgsSchema(Schema):
    """What the person is writing."""

    q = fields.String(load_default="", validate=validate.Length(max=2000))
    limit = fields.Integer(load_default=5, validate=validate.Range(min=1, max=10))


class SuggestionSchema(Schema):
    """A published article that may answer the question."""

    id = fields.Integer()
    title = fields.String()
    excerpt = fields.String()
    url = fields.String()


def _localized(texts: dict[str, str]) -> str:
    from app.extensions import current_language

    return texts.get(current_language()) or next(iter(texts.values()), "")


def _revision(body: dict[str, Any]) -> int | None:
    header = (request.headers.get("If-Match") or "").strip()
    if header and header != "*":
        value = header.removeprefix("W/").strip('"')
        if not value.isdigit():
            raise Conflict("If-Match must carry the revision (ETag) you read.")
        return int(value)
    revision = body.get("revision")
    return int(revision) if revision is not None else None


@blp.route("")
class Articles(MethodView):
    @require_roles()
    @blp.arguments(ArticleListArgsSchema, location="query")
    @blp.response(200, ArticlePageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Articles, newest first, or the best matches of ``q``."""
        page = service.list_articles(session=db(), viewer=current_user, q=args["q"],
                                     category=args.get("category"), status=args.get("status"),
                                     limit=args["limit"], offset=args["offset"])
        return {"items": page.articles, "next_offset": page.next_offset}

    @require_roles(*WRITERS)
    @blp.arguments(ArticleInSchema)
    @blp.response(201, ArticleSchema)
    def post(self, body: dict[str, Any]) -> Any:
        """Write a new article (a draft)."""
        ticket = None
        if body.get("source_ticket"):
            ticket = service.resolution_draft(session=db(), viewer=current_user,
                                              number=body["source_ticket"]).ticket
        article = service.create_article(session=db(), actor=current_user, title=body["title"],
                                         body=body["body"], category=body["category"],
                                         source_ticket=ticket)
        db().commit()
        return article


@blp.get("/suggest")
@require_roles()
@blp.arguments(SuggestArgsSchema, location="query")
@blp.response(200, SuggestionSchema(many=True))
def suggest(args: dict[str, Any]) -> Any:
    """Published articles that share words with what the person is writing."""
    found = service.suggest_articles(session=db(), text=args["q"], limit=args["limit"])
    return [{"id": a.id, "title": _localized(a.title),
             "excerpt": plain_text(_localized(a.body), 160),
             "url": url_for("kb_pages.portal_article", article_id=a.id)} for a in found]


@blp.route("/<int:article_id>")
class ArticleItem(MethodView):
    @require_roles()
    @blp.response(200, ArticleSchema)
    def get(self, article_id: int) -> Any:
        """One article (requesters: published only)."""
        article = service.get_article(session=db(), viewer=current_user, article_id=article_id)
        return article, 200, {"ETag": f'"{article.revision}"'}

    @require_roles(*WRITERS)
    @blp.arguments(ArticlePatchSchema)
    @blp.response(200, ArticleSchema)
    def patch(self, body: dict[str, Any], article_id: int) -> Any:
        """Change the title, body or category; send If-Match to detect conflicts."""
        article = service.update_article(
            session=db(), actor=current_user, article_id=article_id, title=body.get("title"),
            body=body.get("body"), category=body.get("category"), revision=_revision(body))
        db().commit()
        return article, 200, {"ETag": f'"{article.revision}"'}


@blp.post("/<int:article_id>/publish")
@require_roles(*WRITERS)
@blp.response(200, ArticleSchema)
def publish(article_id: int) -> Any:
    """Publish: requesters can read it and it is suggested to them."""
    article = service.set_published(session=db(), actor=current_user, article_id=article_id)
    db().commit()
    return article


@blp.post("/<int:article_id>/unpublish")
@require_roles(*WRITERS)
@blp.response(200, ArticleSchema)
def unpublish(article_id: int) -> Any:
    """Take an article back to draft."""
    article = service.set_published(session=db(), actor=current_user, article_id=article_id,
                                    published=False)
    db().commit()
    return article
