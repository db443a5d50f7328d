"""Conversation flows. Each takes a Context and returns the messages to send."""
