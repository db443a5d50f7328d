"""reminder_due: the narrow schedule table the reminder tick scans

Revision ID: 0013
Revises: 0010
Create Date: 2026-12-03 06:30:00

One row per learner who is active and has a next reminder: (learner_id, due_at, channel)
with one index on due_at. Triggers on learner keep it in step with
learner.next_reminder_at and learner.status in the same transaction, whatever writes
them (the engine, the tick, admin tools, imports). The learner row loses its
next_reminder_at index, so the tick's learner UPDATE changes no indexed column and
Postgres can make it a heap-only (HOT) update: docs/PERFORMANCE.md, "Reminder due-scan".
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes
import storage.types


revision: str = '0013'
down_revision: Union[str, None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Which learners have a row (the same rule in every trigger): active, with a next reminder.
_DUE = "status = 'active' AND next_reminder_at IS NOT NULL"

# Postgres: statement-level triggers with transition tables, so a tick's UPDATE of 1,000
# learners moves their schedule rows in two set-based statements, not 1,000 function
# calls. (A column list, UPDATE OF ..., cannot go with transition tables: the update
# trigger runs after every UPDATE of learner and finds the changed rows itself.)
_PG = [
    """
    CREATE FUNCTION hocai_reminder_due_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            DELETE FROM reminder_due d USING new_rows n
            WHERE d.learner_id = n.id AND NOT (n.status = 'active' AND n.next_reminder_at IS NOT NULL);
        END IF;
        INSERT INTO reminder_due AS d (learner_id, due_at, channel)
        SELECT n.id, n.next_reminder_at, n.channel FROM new_rows n
        WHERE n.status = 'active' AND n.next_reminder_at IS NOT NULL
        ON CONFLICT (learner_id) DO UPDATE
            SET due_at = EXCLUDED.due_at, channel = EXCLUDED.channel
            WHERE (d.due_at, d.channel) IS DISTINCT FROM (EXCLUDED.due_at, EXCLUDED.channel);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER learner_reminder_due_insert AFTER INSERT ON learner
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hocai_reminder_due_sync()
    """,
    """
    CREATE TRIGGER learner_reminder_due_update AFTER UPDATE ON learner
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION hocai_reminder_due_sync()
    """,
    # Room on each page for the new version of an updated row: the tick's update of
    # non-indexed columns then stays on the page (HOT) and writes no index entry.
    "ALTER TABLE learner SET (fillfactor = 90)",
]

# SQLite: row triggers (it has no statement triggers), an upsert where a row stays.
_SQLITE_CHANGED = (
    "(OLD.next_reminder_at IS NOT NEW.next_reminder_at OR OLD.status IS NOT NEW.status "
    "OR OLD.channel IS NOT NEW.channel)"
)
_SQLITE_DUE = "NEW.status = 'active' AND NEW.next_reminder_at IS NOT NULL"
_SQLITE_UPSERT = """
        INSERT INTO reminder_due (learner_id, due_at, channel)
        VALUES (NEW.id, NEW.next_reminder_at, NEW.channel)
        ON CONFLICT (learner_id) DO UPDATE
            SET due_at = excluded.due_at, channel = excluded.channel;
"""
_SQLITE = [
    f"""
    CREATE TRIGGER learner_reminder_due_insert AFTER INSERT ON learner
    WHEN {_SQLITE_DUE}
    BEGIN {_SQLITE_UPSERT} END
    """,
    f"""
    CREATE TRIGGER learner_reminder_due_update
    AFTER UPDATE OF next_reminder_at, status, channel ON learner
    WHEN {_SQLITE_CHANGED} AND {_SQLITE_DUE}
    BEGIN {_SQLITE_UPSERT} END
    """,
    f"""
    CREATE TRIGGER learner_reminder_due_delete
    AFTER UPDATE OF next_reminder_at, status, channel ON learner
    WHEN {_SQLITE_CHANGED} AND NOT ({_SQLITE_DUE})
    BEGIN DELETE FROM reminder_due WHERE learner_id = NEW.id; END
    """,
]


def upgrade() -> None:
    op.create_table('reminder_due',
    sa.Column('learner_id', sa.Integer(), nullable=False),
    sa.Column('due_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.ForeignKeyConstraint(['learner_id'], ['learner.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('learner_id')
    )
    with op.batch_alter_table('reminder_due', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_due_due_at'), ['due_at'], unique=False)
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_learner_next_reminder_at'))
    op.execute(
        "INSERT INTO reminder_due (learner_id, due_at, channel) "
        f"SELECT id, next_reminder_at, channel FROM learner WHERE {_DUE}"
    )
    for statement in _PG if op.get_bind().dialect.name == "postgresql" else _SQLITE:
        op.execute(statement)


def downgrade() -> None:
    pg = op.get_bind().dialect.name == "postgresql"
    names = ["learner_reminder_due_update", "learner_reminder_due_insert"]
    for name in names + ([] if pg else ["learner_reminder_due_delete"]):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON learner" if pg else ""))
    if pg:
        op.execute("DROP FUNCTION IF EXISTS hocai_reminder_due_sync()")
        op.execute("ALTER TABLE learner RESET (fillfactor)")
    with op.batch_alter_table('learner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_learner_next_reminder_at'), ['next_reminder_at'], unique=False)
    with op.batch_alter_table('reminder_due', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_due_due_at'))
    op.drop_table('reminder_due')
