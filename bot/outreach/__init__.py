"""Outreach: messages the programme sends on its own initiative (staff nudges to stalled
learners, the staff's weekly digest). The outbox, dispatcher, reminders and broadcasts
move here in the layout redesign."""
