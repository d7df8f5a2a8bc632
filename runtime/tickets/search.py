"""Full-text search over tickets: subject, submitted field values and comments.

How this works: every ticket has one ``ticket_search`` row whose ``document`` is the
ticket's searchable text, already split into lower-case tokens by :func:`tokens` (letters and
digits; every CJK character is a token of its own, so Chinese words match without a
dictionary). The application keeps it current: a session listener writes the row when a
ticket is created or its subject or data change, and appends a public comment's words when
one is added, whoever wrote it (submission, flow, API, page). Internal notes are left out:
a requester may search their own tickets, and must not learn a note's words that way.

The database indexes the document: PostgreSQL with a GIN index on a stored column
``document_fts = to_tsvector('simple', document)`` (no stemming, so ids and Chinese behave),
SQLite with an FTS5 table kept in step by triggers (migration 0005). A query is parsed by the same
tokenizer and rebuilt as a safe expression, so search syntax typed by a person (quotes,
``*``, ``AND``, ``NEAR(``) is just text and never an error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Integer,
    Select,
    Table,
    Text,
    any_,
    bindparam,
    event,
    func,
    inspect,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, Session, UOWTransaction, mapped_column

from core.db import Base
from runtime.tickets.models import Ticket, TicketEvent

#: Letters and digits (no underscore: PostgreSQL's parser splits on it too).
_WORD = re.compile(r"[^\W_]+")
_CJK = re.compile(r"([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af])")
#: A query longer than this is cut: nobody types more, and it bounds the work.
MAX_QUERY_TERMS = 16
#: Up to this many matches are fetched by id first (PostgreSQL; see match_clause).
FEW = 1000


class TicketSearch(Base):
    """A ticket's searchable text, as space-separated tokens."""

    __tablename__ = "ticket_search"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True)
    document: Mapped[str] = mapped_column(Text, default="")


def _split(value: str) -> list[list[str]]:
    """Words of ``value``; a CJK word becomes one token per character (kept together)."""
    words = []
    for word in _WORD.findall(value.lower()):
        parts = [p for p in _CJK.split(word) if p]
        words.append(parts)
    return words


def tokens(value: str) -> str:
    """``value`` as the space-separated tokens the index holds."""
    return " ".join(" ".join(parts) for parts in _split(value))


def _values(data: Any) -> Iterable[str]:
    """Every scalar value in submitted data (nested groups and lists included)."""
    if isinstance(data, dict):
        for item in data.values():
            yield from _values(item)
    elif isinstance(data, list):
        for item in data:
            yield from _values(item)
    elif isinstance(data, str | int | float) and not isinstance(data, bool):
        yield str(data)


def ticket_document(subject: str, data: dict[str, Any] | None) -> str:
    """The searchable text of a ticket without its comments."""
    return tokens(" ".join([subject or "", *_values(data or {})]))


def parse_query(q: str) -> list[list[str]]:
    """A person's query as terms (each a list of tokens matched as a phrase); may be empty."""
    return [parts for parts in _split(q) if parts][:MAX_QUERY_TERMS]


def match_clause(session: Session, q: str) -> ColumnElement[bool] | None:
    """A condition on ``Ticket.id`` that holds for tickets matching every term of ``q``;
    None when ``q`` holds no word at all (then it filters nothing)."""
    terms = parse_query(q)
    if not terms:
        return None
    if session.get_bind().dialect.name == "postgresql":
        # Tokens are letters and digits only, so quoting them is safe.
        expr = " & ".join(
            "(" + " <-> ".join(f"'{t}'" for t in term) + ")" for term in terms)
        query = func.to_tsquery(literal_column("'simple'::regconfig"), expr)
        vector: ColumnElement[Any] = literal_column("ticket_search.document_fts")
        # Rare words (an order number) match a handful of tickets: fetch them first through
        # the GIN index, so the page reads only those. Words that match many tickets are
        # found quickest by walking the newest tickets and checking each one's stored vector
        # (a correlated lookup the planner cannot turn into "fetch every match, then sort").
        # The planner's own guess is no help: it has no statistics for rare words, and it
        # multiplies phrase parts as if independent.
        few = list(session.scalars(select(TicketSearch.ticket_id).where(
            vector.bool_op("@@")(query)).limit(FEW + 1)))
        if len(few) <= FEW:
            return Ticket.id == any_(bindparam("search_ids", few, type_=ARRAY(Integer)))
        stored = select(vector).select_from(TicketSearch).where(
            TicketSearch.ticket_id == Ticket.id).scalar_subquery()
        return stored.bool_op("@@")(query)
    else:
        expr = " ".join('"' + " ".join(term) + '"' for term in terms)
        matched: Select[Any] = select(literal_column("rowid")).select_from(
            text("ticket_search_fts")).where(
            text("ticket_search_fts MATCH :fts_query").bindparams(fts_query=expr))
    return Ticket.id.in_(matched)


def new_document(ticket: Ticket) -> dict[str, Any]:
    """The search row of a ticket written by a plain INSERT ... RETURNING (no flush)."""
    return {"ticket_id": ticket.id, "document": ticket_document(ticket.subject, ticket.data)}


def _write_documents(session: Session, tickets: list[Ticket], *, new: bool = False) -> None:
    """Create or rebuild the search rows of these tickets (subject, data and comments);
    ``new``: tickets this flush inserted, which have neither a search row nor comments yet.

    Plain statements on the flush's connection: the listener must not change the session.
    """
    table: Table = TicketSearch.__table__  # type: ignore[assignment]
    conn = session.connection()
    ids = [t.id for t in tickets]
    existing = set() if new else set(conn.scalars(
        select(table.c.ticket_id).where(table.c.ticket_id.in_(ids))))
    comments: dict[int, list[str]] = {}
    if existing:
        for ticket_id, payload in conn.execute(
                select(TicketEvent.ticket_id, TicketEvent.payload).where(
                    TicketEvent.ticket_id.in_(existing), TicketEvent.kind == "comment")
                .order_by(TicketEvent.id)):
            if not (payload or {}).get("internal"):
                comments.setdefault(ticket_id, []).append(str((payload or {}).get("body") or ""))
    for ticket in tickets:
        document = " ".join(filter(None, [
            ticket_document(ticket.subject, ticket.data),
            *(tokens(body) for body in comments.get(ticket.id, []))]))
        if ticket.id in existing:
            conn.execute(table.update().where(table.c.ticket_id == ticket.id)
                         .values(document=document))
        else:
            conn.execute(table.insert().values(ticket_id=ticket.id, document=document))


@event.listens_for(Session, "after_flush")
def _keep_documents(session: Session, _context: UOWTransaction) -> None:
    """After each flush: new or edited tickets get their document, comments add words."""
    created = [obj for obj in session.new if isinstance(obj, Ticket)]
    edited = [obj for obj in session.dirty if isinstance(obj, Ticket) and _text_changed(obj)]
    if created:
        _write_documents(session, created, new=True)
    if edited:
        _write_documents(session, edited)
    done = {t.id for t in created + edited}
    table: Table = TicketSearch.__table__  # type: ignore[assignment]
    for obj in session.new:
        if isinstance(obj, TicketEvent) and obj.kind == "comment" and obj.ticket_id not in done \
                and not (obj.payload or {}).get("internal"):
            words = tokens(str((obj.payload or {}).get("body") or ""))
            if words:
                session.connection().execute(
                    table.update().where(table.c.ticket_id == obj.ticket_id)
                    .values(document=table.c.document + " " + words))


def _text_changed(ticket: Ticket) -> bool:
    """True when the flush changed the ticket's subject or data."""
    attrs = inspect(ticket).attrs
    return bool(attrs.subject.history.has_changes() or attrs.data.history.has_changes())
