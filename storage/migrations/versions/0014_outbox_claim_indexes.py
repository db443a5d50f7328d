"""outbox: partial indexes for the dispatcher's claims

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 01:30:00

ix_outbox_due (status, next_attempt_at) held every row ever queued, and a claim
(pending and due, or sending with an expired lease, oldest first) read all the due rows
through it and sorted them to take a batch: 0.1-0.3 s of Postgres time per claim with
100,000 rows waiting. Two partial indexes instead: the pending rows in claim order, and
the sending rows by lease; a claim reads its batch and stops, and a sent row is in
neither (docs/PERFORMANCE.md, "Broadcast").
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0014'
down_revision: Union[str, None] = '0013'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbox_pending', ['next_attempt_at', 'id'], unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index(
            'ix_outbox_sending', ['claimed_until'], unique=False,
            postgresql_where=sa.text("status = 'sending'"),
            sqlite_where=sa.text("status = 'sending'"),
        )
        batch_op.drop_index('ix_outbox_due')


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.drop_index('ix_outbox_sending')
        batch_op.drop_index('ix_outbox_pending')
