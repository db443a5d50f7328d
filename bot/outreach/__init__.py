"""Outreach: what the bot sends on its own or after the fact (the outbox, replies
recorded for the sweeper, reminders, broadcasts)."""
