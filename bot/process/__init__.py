"""Process start-up and wiring (the runner, the worker and leader live beside it)."""
