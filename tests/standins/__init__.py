"""Local stand-ins of the messenger Bot APIs, for tests (no test reaches the internet)."""
