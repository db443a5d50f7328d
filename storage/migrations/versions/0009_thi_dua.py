"""thi đua: learner milestones (funnel, leaderboard), reminders_off, learner_contact

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import storage.types


revision: str = '0009'
down_revision: Union[str, None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

MILESTONES = ('first_lesson_at', 'half_track_at', 'trained_at', 'proficient_at')


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite has it): a batch "move and copy" of the learner table
    # would fail on the foreign keys that point at it, and copy every row.
    for name in MILESTONES:
        op.add_column(
            'learner', sa.Column(name, storage.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.add_column(
        'learner',
        sa.Column('reminders_off', sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_table('learner_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('staff_channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('staff_user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('learner_contact', schema=None) as batch_op:
        batch_op.create_index('ix_learner_contact_learner_at', ['learner_id', 'at'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # The leaderboard, funnel and targets report group learners by these three:
        # without this the planner guesses ~100,000 groups (there are a few thousand)
        # and sorts a million rows on disk instead of hashing them (docs/PERFORMANCE.md).
        op.execute(
            'CREATE STATISTICS IF NOT EXISTS st_learner_place (ndistinct) '
            'ON group_code, commune_code, unit_id FROM learner'
        )
    _backfill()


def _backfill() -> None:
    """Stamp the milestones learners already reached (bot/admin/milestones.py)."""
    bind = op.get_bind()
    if bind.execute(sa.text('SELECT count(*) FROM learner')).scalar() == 0:
        return  # a new database: nothing to stamp, no need to load the curriculum
    from bot.admin.milestones import backfill_statements
    from bot.config import get_settings
    from lessons.limits import LEARNER_GROUPS
    from lessons.loader import load_or_raise

    catalog = load_or_raise(get_settings().lessons_dir)
    for stmt in backfill_statements(catalog, list(LEARNER_GROUPS)):
        bind.execute(stmt)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP STATISTICS IF EXISTS st_learner_place')
    with op.batch_alter_table('learner_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_learner_contact_learner_at')
    op.drop_table('learner_contact')
    for name in ('reminders_off', *reversed(MILESTONES)):
        op.drop_column('learner', name)
