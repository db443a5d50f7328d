"""Telegram channel (aiogram 3): translates between the Bot API and the tutor engine."""
