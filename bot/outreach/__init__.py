"""Outreach: what the bot sends on its own or after the fact: replies recorded for the
sweeper, staff nudges to stalled learners, the staff's weekly digest. The outbox,
dispatcher, reminders and broadcasts move here in the layout redesign."""
