"""staff broadcasts: the broadcast table (delivery rows are outbox rows)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 17:12:29
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import storage.types


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('broadcast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('author_user_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('author_role', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('author_scope', sa.JSON(), nullable=False),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('commune_code', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('link', sqlmodel.sql.sqltypes.AutoString(length=512), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
    sa.Column('scheduled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('queued_through', sa.Integer(), nullable=False),
    sa.Column('last_learner_id', sa.Integer(), nullable=True),
    sa.Column('delivered', sa.Integer(), nullable=True),
    sa.Column('blocked', sa.Integer(), nullable=True),
    sa.Column('failed', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcast_commune_code'), ['commune_code'], unique=False)
        batch_op.create_index('ix_broadcast_status_scheduled', ['status', 'scheduled_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_broadcast_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcast_unit_id'))
        batch_op.drop_index('ix_broadcast_status_scheduled')
        batch_op.drop_index(batch_op.f('ix_broadcast_commune_code'))

    op.drop_table('broadcast')
