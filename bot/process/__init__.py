"""Processes: the runner (console, poll, webhook, serve), the worker, the leader lock
and the wiring that opens the tutor on a database (wiring.py)."""
