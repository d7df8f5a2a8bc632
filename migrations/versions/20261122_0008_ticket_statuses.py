"""custom ticket statuses inside the five categories

The table of statuses, seeded with one status per category whose key is the category
(so every existing ticket stays valid), and ``tickets.status_key`` backfilled from the
category. ``tickets.status`` keeps holding the category.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 18:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')

SEED = [
    ('new', {'en': 'New', 'zh-CN': '新建'}),
    ('open', {'en': 'Open', 'zh-CN': '处理中'}),
    ('pending', {'en': 'Pending', 'zh-CN': '等待中'}),
    ('resolved', {'en': 'Resolved', 'zh-CN': '已解决'}),
    ('closed', {'en': 'Closed', 'zh-CN': '已关闭'}),
]


def upgrade() -> None:
    statuses = op.create_table('ticket_statuses',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('label', JSON, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ticket_statuses'))
    )
    with op.batch_alter_table('ticket_statuses', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_statuses_category_position', ['category', 'position'], unique=False)
    now = datetime.now(UTC)
    op.bulk_insert(statuses, [
        {'key': key, 'category': key, 'label': label, 'position': 0, 'active': True,
         'created_at': now, 'updated_at': now} for key, label in SEED])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_key', sa.String(length=64), nullable=True))
    op.execute("UPDATE tickets SET status_key = status")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('status_key', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_foreign_key(batch_op.f('fk_tickets_status_key_ticket_statuses'), 'ticket_statuses', ['status_key'], ['key'])


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_tickets_status_key_ticket_statuses'), type_='foreignkey')
        batch_op.drop_column('status_key')
    with op.batch_alter_table('ticket_statuses', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_statuses_category_position')
    op.drop_table('ticket_statuses')
