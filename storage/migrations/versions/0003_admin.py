"""admin: roles, login links, web sessions, API tokens, target bases; report indexes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 09:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import storage.types


revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ts = storage.types.UTCDateTime(timezone=True)
_str = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table('staff_role',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', _str(length=16), nullable=False),
    sa.Column('channel_user_id', _str(length=64), nullable=False),
    sa.Column('role', _str(length=8), nullable=False),
    sa.Column('scope', _str(length=8), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('name', _str(length=128), nullable=True),
    sa.Column('created_at', _ts, nullable=False),
    sa.Column('created_by', _str(length=64), nullable=False),
    sa.Column('last_seen_at', _ts, nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel', 'channel_user_id', name='uq_staff_chat')
    )
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_role_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_role_unit_id'), ['unit_id'], unique=False)

    op.create_table('login_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', _str(length=64), nullable=False),
    sa.Column('channel', _str(length=16), nullable=False),
    sa.Column('channel_user_id', _str(length=64), nullable=False),
    sa.Column('created_at', _ts, nullable=False),
    sa.Column('expires_at', _ts, nullable=False),
    sa.Column('used_at', _ts, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', _str(length=64), nullable=False),
    sa.Column('channel', _str(length=16), nullable=False),
    sa.Column('channel_user_id', _str(length=64), nullable=False),
    sa.Column('csrf_token', _str(length=64), nullable=False),
    sa.Column('created_at', _ts, nullable=False),
    sa.Column('expires_at', _ts, nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_expires_at'), ['expires_at'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', _str(length=64), nullable=False),
    sa.Column('name', _str(length=64), nullable=False),
    sa.Column('channel', _str(length=16), nullable=False),
    sa.Column('channel_user_id', _str(length=64), nullable=False),
    sa.Column('created_at', _ts, nullable=False),
    sa.Column('created_by', _str(length=64), nullable=False),
    sa.Column('expires_at', _ts, nullable=True),
    sa.Column('revoked_at', _ts, nullable=True),
    sa.Column('last_used_at', _ts, nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    op.create_table('target_base',
    sa.Column('key', _str(length=16), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('source', _str(length=200), nullable=True),
    sa.Column('updated_at', _ts, nullable=False),
    sa.PrimaryKeyConstraint('key')
    )

    # Report and export indexes (see storage/models.py).
    op.create_index('ix_learner_group_code', 'learner', ['group_code'])
    op.create_index('ix_learner_created_at', 'learner', ['created_at'])
    op.create_index('ix_learner_last_active_at', 'learner', ['last_active_at'])
    op.create_index(
        'ix_progress_done', 'lesson_progress', ['learner_id', 'lesson_id'],
        postgresql_include=['score', 'total'],
        postgresql_where=sa.text('completed_at IS NOT NULL'),
        sqlite_where=sa.text('completed_at IS NOT NULL'),
    )
    op.create_index('ix_progress_completed_at', 'lesson_progress', ['completed_at'])
    op.create_index(
        'ix_assessment_finished', 'assessment', ['learner_id', 'track'],
        postgresql_include=['passed', 'score', 'total'],
        postgresql_where=sa.text('finished_at IS NOT NULL'),
        sqlite_where=sa.text('finished_at IS NOT NULL'),
    )
    op.create_index('ix_assessment_finished_at', 'assessment', ['finished_at'])


def downgrade() -> None:
    op.drop_index('ix_assessment_finished_at', table_name='assessment')
    op.drop_index('ix_assessment_finished', table_name='assessment')
    op.drop_index('ix_progress_completed_at', table_name='lesson_progress')
    op.drop_index('ix_progress_done', table_name='lesson_progress')
    op.drop_index('ix_learner_last_active_at', table_name='learner')
    op.drop_index('ix_learner_created_at', table_name='learner')
    op.drop_index('ix_learner_group_code', table_name='learner')
    op.drop_table('target_base')
    op.drop_table('api_token')
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_expires_at'))
    op.drop_table('web_session')
    op.drop_table('login_token')
    with op.batch_alter_table('staff_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_role_unit_id'))
        batch_op.drop_index(batch_op.f('ix_staff_role_commune_code'))
    op.drop_table('staff_role')
