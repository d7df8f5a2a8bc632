"""ticket numbers from a sequence on PostgreSQL; form key and version on tickets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:10:00

A sequence hands out numbers without holding a row lock until commit, so concurrent
submissions no longer queue on the counter row. SQLite keeps the counter row. Tickets keep
their form's key and version number (both immutable) so that lists need no joins.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("form_key", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("form_version_number", sa.Integer(), nullable=True))
    op.execute("UPDATE tickets SET form_key = (SELECT key FROM forms WHERE forms.id = "
               "tickets.form_id), form_version_number = (SELECT number FROM form_versions "
               "WHERE form_versions.id = tickets.form_version_id)")
    with op.batch_alter_table("tickets") as batch:
        batch.alter_column("form_key", existing_type=sa.String(length=64), nullable=False)
        batch.alter_column("form_version_number", existing_type=sa.Integer(), nullable=False)
        batch.create_index(batch.f("ix_tickets_form_key"), ["form_key"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE SEQUENCE ticket_numbers START WITH 1001 "
            "OWNED BY tickets.number"
        )
        op.execute(
            "SELECT setval('ticket_numbers', GREATEST(1001, "
            "(SELECT value + 1 FROM counters WHERE name = 'ticket')), false)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE ticket_numbers")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(batch.f("ix_tickets_form_key"))
        batch.drop_column("form_version_number")
        batch.drop_column("form_key")
