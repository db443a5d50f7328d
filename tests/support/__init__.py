"""Test support shared by every test directory: stand-in servers, a hand-set clock,
throwaway Postgres databases. Fixtures pytest must find are registered by
tests/conftest.py (`pytest_plugins`); the rest is imported."""
