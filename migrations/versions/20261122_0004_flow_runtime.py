"""flow runtime

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 15:20:43.541870
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('team_cursors',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('last_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['last_user_id'], ['users.id'], name=op.f('fk_team_cursors_last_user_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_cursors_team_id_teams')),
    sa.PrimaryKeyConstraint('team_id', name=op.f('pk_team_cursors'))
    )
    op.create_table('flow_instances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('flow_version_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['flow_version_id'], ['flow_versions.id'], name=op.f('fk_flow_instances_flow_version_id_flow_versions')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_flow_instances_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flow_instances')),
    sa.UniqueConstraint('ticket_id', name=op.f('uq_flow_instances_ticket_id'))
    )
    with op.batch_alter_table('flow_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_flow_instances_flow_version_id'), ['flow_version_id'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('effect_key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('enqueued_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['flow_instances.id'], name=op.f('fk_outbox_instance_id_flow_instances')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_outbox_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('instance_id', 'effect_key', name=op.f('uq_outbox_instance_id_effect_key'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('node', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('delegated_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_tasks_decided_by_id_users')),
    sa.ForeignKeyConstraint(['delegated_by_id'], ['users.id'], name=op.f('fk_tasks_delegated_by_id_users')),
    sa.ForeignKeyConstraint(['instance_id'], ['flow_instances.id'], name=op.f('fk_tasks_instance_id_flow_instances')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_tasks_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('instance_id', 'key', name=op.f('uq_tasks_instance_id_key'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_assignee_id_status', ['assignee_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('timers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['flow_instances.id'], name=op.f('fk_timers_instance_id_flow_instances')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timers')),
    sa.UniqueConstraint('instance_id', 'key', name=op.f('uq_timers_instance_id_key'))
    )
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.create_index('ix_timers_pending_due_at', ['due_at'], unique=False, postgresql_where=sa.text('fired_at IS NULL AND NOT cancelled'), sqlite_where=sa.text('fired_at IS NULL AND NOT cancelled'))

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_incidents_outbox_id_outbox')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_incidents_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_outbox_id'), ['outbox_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('skills')
        batch_op.drop_column('away')

    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_incidents_outbox_id'))

    op.drop_table('incidents')
    with op.batch_alter_table('timers', schema=None) as batch_op:
        batch_op.drop_index('ix_timers_pending_due_at', postgresql_where=sa.text('fired_at IS NULL AND NOT cancelled'), sqlite_where=sa.text('fired_at IS NULL AND NOT cancelled'))

    op.drop_table('timers')
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_ticket_id'))
        batch_op.drop_index('ix_tasks_assignee_id_status')

    op.drop_table('tasks')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_ticket_id'))
        batch_op.drop_index('ix_outbox_status_next_attempt_at')

    op.drop_table('outbox')
    with op.batch_alter_table('flow_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_flow_instances_flow_version_id'))

    op.drop_table('flow_instances')
    op.drop_table('team_cursors')
