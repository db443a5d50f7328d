"""polled events kept until handled: the inbox_event table

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 06:50:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import storage.types


revision: str = '0007'
down_revision: Union[str, None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('inbox_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('received_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_inbox_event_channel'), 'inbox_event', ['channel'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_inbox_event_channel'), table_name='inbox_event')
    op.drop_table('inbox_event')
