"""Staff broadcasts: an announcement to the learners of one's scope, delivered through the
outbox.

Modules: audience.py (who receives: scope, filters, counting), composing.py (text limits,
scheduling, storing, the worker's tick that queues), sending.py (what learners receive,
progress, cancel, the report, the audit). The names below are the package's interface,
for the chat flow (bot/flows/broadcast.py), the dashboard, the worker and the dispatcher.

- The audience is asked for as (kind, value) and resolved by `resolve`, which goes
  through bot/admin/roles.py (`narrow`): a staff member's scope bounds every audience, and
  one outside it is refused (Forbidden) before anything is stored.
- Recipients: learners who finished onboarding and consented, on a messenger channel
  (Telegram, Zalo, Zalo OA), active or dormant (dormant learners stopped answering reminders, which
  is no request to hear nothing: an announcement of a class may be what brings them
  back); unreachable learners (403) are skipped.
- A confirmed broadcast is a `Broadcast` row. The worker's tick (`tick`) turns it into
  outbox rows, one per recipient (dedup key "bc:<id>:<learner id>"), a batch per
  transaction with the position (`queued_through`) saved in the same transaction: a crash
  mid-queueing resumes after the last batch, and a repeated batch inserts nothing. The
  dispatcher sends the rows at the channel's rate; the text is read from the broadcast
  row (not copied into each outbox row).
- Scheduling, resuming and big audiences take the same path: a scheduled broadcast is
  started by the tick once its time has come; the audience is fixed then (learners up to
  `last_learner_id`). The author's right to that audience is checked again at that moment.
- Cancel: the broadcast and its unsent rows are marked cancelled in one transaction; the
  dispatcher skips rows of a cancelled broadcast (it re-reads the status at most every
  second), so only messages already on their way go out.
- Progress and the final report are counted from the outbox statuses; the author gets the
  report as an outbox message when everything is decided. Messages a channel skipped on
  purpose (the Zalo OA's 48-hour window) are counted apart, per reason.
- Audit: broadcast_created, broadcast_scheduled, broadcast_cancelled, broadcast_finished
  with author, audience, counts and times (never the text).
"""

from bot.outreach.broadcasts.audience import (
    Audience,
    BadAudience,
    conditions,
    count_by_channel,
    resolve,
)
from bot.outreach.broadcasts.composing import (
    BATCH,
    CHANNEL_LIMITS,
    CHANNEL_NAMES,
    MAX_AHEAD,
    MAX_LINK,
    MAX_TEXT,
    WORKER_ACTOR,
    create,
    limit_for,
    parse_when,
    tick,
    widest_channel,
)
from bot.outreach.broadcasts.sending import (
    ACTIVE,
    NotActive,
    NotFound,
    body,
    cancel,
    recent,
    status_line,
    text_length,
    when_text,
)

__all__ = [
    # who receives
    "Audience",
    "BadAudience",
    "resolve",
    "conditions",
    "count_by_channel",
    # the text, its limits, scheduling, storing and queueing
    "CHANNEL_LIMITS",
    "CHANNEL_NAMES",
    "MAX_TEXT",
    "MAX_LINK",
    "MAX_AHEAD",
    "text_length",
    "limit_for",
    "widest_channel",
    "parse_when",
    "create",
    "BATCH",
    "WORKER_ACTOR",
    "tick",
    # on its way: what learners receive, progress, cancel
    "body",
    "ACTIVE",
    "NotFound",
    "NotActive",
    "cancel",
    "recent",
    "status_line",
    "when_text",
]
