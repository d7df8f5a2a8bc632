"""saved views, search index and queue indexes

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 17:00:00

Queues read open work per assignee, per team and overall in page order (created_at, id):
partial indexes on the open statuses keep those reads and their counts short. Full-text
search reads ``ticket_search`` (one row per ticket, its text as tokens, written by the
application: runtime/tickets/search.py): PostgreSQL through a GIN index on a stored
``document_fts = to_tsvector('simple', document)`` column, SQLite through an FTS5 table that triggers keep in step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('new', 'open', 'pending')"
#: name -> (columns, partial condition or None, included columns (PostgreSQL))
INDEXES: dict[str, tuple[list[str], str | None, list[str]]] = {
    "ix_tickets_open_assignee": (["assignee_id", "created_at", "id"], OPEN, []),
    "ix_tickets_open_team": (["team_id", "created_at", "id"], OPEN, []),
    "ix_tickets_open_unassigned": (["team_id", "created_at", "id"],
                                   f"{OPEN} AND assignee_id IS NULL", []),
    "ix_tickets_open_created": (["created_at", "id"], OPEN,
                                ["team_id", "assignee_id", "requester_id"]),
    "ix_tickets_status_created": (["status", "created_at", "id"], None, []),
    "ix_tickets_created_at_id": (["created_at", "id"], None, []),
}

PG_FTS_COLUMN = ("ALTER TABLE ticket_search ADD COLUMN document_fts tsvector GENERATED ALWAYS "
                 "AS (to_tsvector('simple'::regconfig, document)) STORED")
PG_FTS_INDEX = "CREATE INDEX ix_ticket_search_fts_document ON ticket_search USING gin (document_fts)"

SQLITE_FTS = [
    "CREATE VIRTUAL TABLE ticket_search_fts USING fts5(document, content='ticket_search', "
    "content_rowid='ticket_id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER ticket_search_ai AFTER INSERT ON ticket_search BEGIN "
    "INSERT INTO ticket_search_fts(rowid, document) VALUES (new.ticket_id, new.document); END",
    "CREATE TRIGGER ticket_search_ad AFTER DELETE ON ticket_search BEGIN "
    "INSERT INTO ticket_search_fts(ticket_search_fts, rowid, document) "
    "VALUES ('delete', old.ticket_id, old.document); END",
    "CREATE TRIGGER ticket_search_au AFTER UPDATE ON ticket_search BEGIN "
    "INSERT INTO ticket_search_fts(ticket_search_fts, rowid, document) "
    "VALUES ('delete', old.ticket_id, old.document); "
    "INSERT INTO ticket_search_fts(rowid, document) VALUES (new.ticket_id, new.document); END",
]


def upgrade() -> None:
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("params", sa.JSON().with_variant(
            sa.dialects.postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f(
            "fk_saved_views_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_saved_views_user_id_name")),
    )
    op.create_table(
        "ticket_search",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f(
            "fk_ticket_search_ticket_id_tickets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_search")),
    )
    dialect = op.get_bind().dialect.name
    for name, (columns, where, include) in INDEXES.items():
        kwargs: dict = {f"{dialect}_where": sa.text(where)} if where and dialect in (
            "postgresql", "sqlite") else {}
        if include and dialect == "postgresql":
            kwargs["postgresql_include"] = include
        op.create_index(name, "tickets", columns, unique=False, **kwargs)
    if dialect == "postgresql":
        # A stored tsvector (not an expression index): checking a candidate row reads it
        # instead of parsing the document again, and ANALYZE keeps word statistics.
        op.execute(PG_FTS_COLUMN)
        op.execute(PG_FTS_INDEX)
    elif dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    _backfill()


def _backfill() -> None:
    """Search rows for the tickets that exist already (the application writes new ones)."""
    from runtime.tickets.search import ticket_document, tokens

    conn = op.get_bind()
    tickets = sa.table("tickets", sa.column("id"), sa.column("subject"),
                       sa.column("data", sa.JSON()))
    events = sa.table("ticket_events", sa.column("ticket_id"), sa.column("kind"),
                      sa.column("payload", sa.JSON()))
    search = sa.table("ticket_search", sa.column("ticket_id"), sa.column("document"))
    comments: dict[int, list[str]] = {}
    for ticket_id, payload in conn.execute(sa.select(events.c.ticket_id, events.c.payload)
                                           .where(events.c.kind == "comment")):
        if not (payload or {}).get("internal"):  # requesters search too: never notes
            comments.setdefault(ticket_id, []).append(
                tokens(str((payload or {}).get("body", ""))))
    rows = [{"ticket_id": ticket_id, "document": " ".join(
        [ticket_document(subject, data or {}), *comments.get(ticket_id, [])]).strip()}
        for ticket_id, subject, data in conn.execute(
            sa.select(tickets.c.id, tickets.c.subject, tickets.c.data))]
    if rows:
        conn.execute(search.insert(), rows)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("ticket_search_ai", "ticket_search_ad", "ticket_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS ticket_search_fts")
    for name in INDEXES:
        op.drop_index(name, table_name="tickets")
    op.drop_table("ticket_search")
    op.drop_table("saved_views")
