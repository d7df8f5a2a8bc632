"""flows

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 15:07:00.459039

Flows and their immutable versions (``form_key``: the form a version's start node is bound
to), and ``flow_bindings``: the one flow version new tickets of a form follow.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

import core.db

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('flows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('title', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('draft', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_flows_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flows')),
    sa.UniqueConstraint('key', name=op.f('uq_flows_key'))
    )
    op.create_table('flow_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('definition', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('form_key', sa.String(length=64), nullable=True),
    sa.Column('published_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['flow_id'], ['flows.id'], name=op.f('fk_flow_versions_flow_id_flows')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_flow_versions_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_versions')),
    sa.UniqueConstraint('flow_id', 'number', name=op.f('uq_flow_versions_flow_id_number'))
    )
    with op.batch_alter_table('flow_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_versions_flow_id'), ['flow_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_flow_versions_form_key'), ['form_key'], unique=False)
    op.create_table('flow_bindings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.Integer(), nullable=False),
    sa.Column('flow_version_id', sa.Integer(), nullable=False),
    sa.Column('bound_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('bound_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['bound_by_id'], ['users.id'], name=op.f('fk_flow_bindings_bound_by_id_users')),
    sa.ForeignKeyConstraint(['flow_id'], ['flows.id'], name=op.f('fk_flow_bindings_flow_id_flows')),
    sa.ForeignKeyConstraint(['flow_version_id'], ['flow_versions.id'], name=op.f('fk_flow_bindings_flow_version_id_flow_versions')),
    sa.ForeignKeyConstraint(['form_id'], ['forms.id'], name=op.f('fk_flow_bindings_form_id_forms')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_bindings')),
    sa.UniqueConstraint('flow_id', name=op.f('uq_flow_bindings_flow_id')),
    sa.UniqueConstraint('form_id', name=op.f('uq_flow_bindings_form_id'))
    )


def downgrade() -> None:
    op.drop_table('flow_bindings')
    with op.batch_alter_table('flow_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_versions_form_key'))
        batch_op.drop_index(batch_op.f('ix_flow_versions_flow_id'))
    op.drop_table('flow_versions')
    op.drop_table('flows')
