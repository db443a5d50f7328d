"""Outreach: what the bot sends on its own or after the fact. The outbox and its
dispatcher, reminders and their schedule, broadcasts, replies recorded for the sweeper,
staff nudges to stalled learners, the staff's weekly digest."""
