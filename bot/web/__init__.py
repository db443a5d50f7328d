"""The web app (FastAPI): channel webhooks, health; admin dashboard and API later."""
