"""Learner-facing words, one module per flow (common: what several flows share).

Flows build their messages from these; the transcript tests check the words."""
