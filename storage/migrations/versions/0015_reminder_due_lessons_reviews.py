"""reminder_due: the completed lessons and review due times on the schedule row (Postgres)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 18:40:00

The tick's claim read each claimed learner's completed lessons (lesson_progress) and
due reviews (review_item) through two correlated subqueries: about 6,400 of its 14,400
buffer accesses per 1,000 claimed, on pages spread over two large tables. On Postgres
the schedule row now carries them: `done`, the completed lesson ids (comma-separated, in
lesson id order), and `reviews`, the review items' due times (sorted; the tick counts
those <= now). Statement triggers on lesson_progress and review_item recompute them for
the learners a statement touched, and the learner trigger fills them when it schedules
a learner, so every writer keeps them in step. SQLite leaves them NULL: its tick reads
the two tables as before (docs/PERFORMANCE.md, "Reminder due-scan").
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision: str = '0015'
down_revision: Union[str, None] = '0014'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# A learner's values, recomputed from the tables (`id`: the learner's id). done is never
# NULL on Postgres once a statement is over ('' is "none", NULL "not filled yet");
# reviews is NULL for none.
_DONE = (
    "coalesce((SELECT string_agg(p.lesson_id, ',' ORDER BY p.lesson_id) FROM lesson_progress p "
    "WHERE p.learner_id = {id} AND p.completed_at IS NOT NULL), '')"
)
_REVIEWS = "(SELECT array_agg(r.due_at ORDER BY r.due_at) FROM review_item r WHERE r.learner_id = {id})"

# The learner trigger of 0013, now filling done and reviews on the rows it inserts (the
# upsert's RETURNING names them); a row that stays keeps its values, so the tick's move
# of 1,000 learners reads neither table.
_SYNC = f"""
    CREATE OR REPLACE FUNCTION hocai_reminder_due_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        fresh integer[];
    BEGIN
        IF TG_OP = 'UPDATE' THEN
            DELETE FROM reminder_due d USING new_rows n
            WHERE d.learner_id = n.id AND NOT (n.status = 'active' AND n.next_reminder_at IS NOT NULL);
        END IF;
        WITH up AS (
            INSERT INTO reminder_due AS d (learner_id, due_at, channel)
            SELECT n.id, n.next_reminder_at, n.channel FROM new_rows n
            WHERE n.status = 'active' AND n.next_reminder_at IS NOT NULL
            ON CONFLICT (learner_id) DO UPDATE
                SET due_at = EXCLUDED.due_at, channel = EXCLUDED.channel
                WHERE (d.due_at, d.channel) IS DISTINCT FROM (EXCLUDED.due_at, EXCLUDED.channel)
            RETURNING d.learner_id, d.done IS NULL AS fresh
        )
        SELECT array_agg(up.learner_id) INTO fresh FROM up WHERE up.fresh;
        IF fresh IS NOT NULL THEN
            UPDATE reminder_due d SET done = {_DONE.format(id='d.learner_id')},
                reviews = {_REVIEWS.format(id='d.learner_id')}
            WHERE d.learner_id = ANY(fresh);
        END IF;
        RETURN NULL;
    END $$
    """

# 0013's function, for the downgrade.
_SYNC_0013 = """
    CREATE OR REPLACE FUNCTION hocai_reminder_due_sync() RETURNS trigger LANGUAGE plpgsql AS $$
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
    """


def _child(table: str, column: str, value: str, changed: str) -> list[str]:
    """A statement trigger function on lesson_progress or review_item, and its three
    triggers: recompute `column` for the learners the statement touched. It first locks
    those learner rows (FOR NO KEY UPDATE, as an UPDATE of the learner would): a learner
    being scheduled at the same moment by another transaction fills the row from what
    it saw, so one of the two waits for the other and the later one sees both."""
    name = f"hocai_reminder_due_{table}"
    function = f"""
    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        ids integer[];
    BEGIN
        IF TG_OP = 'INSERT' THEN
            ids := ARRAY(SELECT DISTINCT n.learner_id FROM new_rows n);
        ELSIF TG_OP = 'DELETE' THEN
            ids := ARRAY(SELECT DISTINCT o.learner_id FROM old_rows o);
        ELSE
            ids := ARRAY(
                SELECT DISTINCT x FROM old_rows o JOIN new_rows n ON n.id = o.id,
                    LATERAL (VALUES (o.learner_id), (n.learner_id)) AS v(x)
                WHERE {changed});
        END IF;
        IF cardinality(ids) = 0 THEN
            RETURN NULL;
        END IF;
        PERFORM 1 FROM learner WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
        UPDATE reminder_due d SET {column} = c.value
        FROM (SELECT i.id, {value.format(id='i.id')} AS value FROM unnest(ids) AS i(id)) c
        WHERE d.learner_id = c.id AND d.{column} IS DISTINCT FROM c.value;
        RETURN NULL;
    END $$
    """
    triggers = [
        f"""
        CREATE TRIGGER {table}_reminder_due_{event.split()[0].lower()} AFTER {event} ON {table}
        REFERENCING {tables}
        FOR EACH STATEMENT EXECUTE FUNCTION {name}()
        """
        for event, tables in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    ]
    return [function, *triggers]


_CHILDREN = [
    _child(
        "lesson_progress",
        "done",
        _DONE,
        "(o.learner_id, o.lesson_id, o.completed_at IS NULL) "
        "IS DISTINCT FROM (n.learner_id, n.lesson_id, n.completed_at IS NULL)",
    ),
    _child(
        "review_item",
        "reviews",
        _REVIEWS,
        "(o.learner_id, o.due_at) IS DISTINCT FROM (n.learner_id, n.due_at)",
    ),
]


def upgrade() -> None:
    with op.batch_alter_table('reminder_due', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column(
            'reviews',
            postgresql.ARRAY(sa.DateTime(timezone=True)).with_variant(sa.JSON(), 'sqlite'),
            nullable=True,
        ))
    if op.get_bind().dialect.name != "postgresql":
        return
    # Filled by rebuilding the table rather than updating every row: no dead row versions
    # or index entries left behind for the tick's scans to step over.
    op.execute("DROP INDEX ix_reminder_due_due_at")
    op.execute(
        "CREATE TEMPORARY TABLE reminder_due_0015 ON COMMIT DROP AS "
        f"SELECT d.learner_id, d.due_at, d.channel, {_DONE.format(id='d.learner_id')} AS done, "
        f"{_REVIEWS.format(id='d.learner_id')} AS reviews FROM reminder_due d"
    )
    op.execute("TRUNCATE reminder_due")
    op.execute("INSERT INTO reminder_due SELECT * FROM reminder_due_0015 ORDER BY learner_id")
    op.execute("CREATE INDEX ix_reminder_due_due_at ON reminder_due (due_at)")
    op.execute(_SYNC)
    for statements in _CHILDREN:
        for statement in statements:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("lesson_progress", "review_item"):
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_reminder_due_{event} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS hocai_reminder_due_{table}()")
        op.execute(_SYNC_0013)
    # Not batch mode: SQLite's copy-and-rename of the table fails on the learner triggers
    # that name it (DROP COLUMN needs SQLite 3.35).
    op.execute("ALTER TABLE reminder_due DROP COLUMN reviews")
    op.execute("ALTER TABLE reminder_due DROP COLUMN done")
