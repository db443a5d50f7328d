"""zalo official account: the OA's tokens; broadcasts count skipped messages

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 06:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import storage.types


revision: str = '0010'
down_revision: Union[str, None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('zalo_oa_token',
    sa.Column('app_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('oa_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('access_token', sa.Text(), nullable=False),
    sa.Column('refresh_token', sa.Text(), nullable=False),
    sa.Column('access_expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refresh_expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('refreshes', sa.Integer(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('app_id')
    )
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.add_column(sa.Column('skipped', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('broadcast', schema=None) as batch_op:
        batch_op.drop_column('skipped')
    op.drop_table('zalo_oa_token')
